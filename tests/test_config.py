"""Configuration: embedded default, the example file, and one clear error per bad key."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, SlackConfig, load_config
from bot.runner import choose_frontends

ROOT = Path(__file__).resolve().parent.parent


def test_embedded_default_needs_no_file() -> None:
    config = load_config(None)
    assert config == Config()
    assert (config.corpus_dir, config.data_dir) == (Path("seeds"), Path("data"))
    assert config.summary.method == "lexrank"


def test_example_file_loads_and_matches_the_defaults() -> None:
    config = load_config(ROOT / "config.example.toml")
    assert config.corpus_dir == ROOT / "seeds"
    assert config.data_dir == ROOT / "data"
    assert (config.summary, config.digest) == (Config().summary, Config().digest)
    assert config.telegram.token_env == "DIGESTBOT_TELEGRAM_TOKEN"


def test_token_comes_from_the_named_environment_variable() -> None:
    config = load_config(None)
    assert config.telegram_token({}) is None
    assert config.telegram_token({"DIGESTBOT_TELEGRAM_TOKEN": "123:abc"}) == "123:abc"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[summary]\nsentence = 3\n", "unknown key 'summary.sentence'"),
        ("[sumary]\n", "unknown key 'sumary'"),
        ("[summary]\nsentences = 'three'\n", "'summary.sentences' must be int"),
        ("[summary]\nsentences = 0\n", "'summary.sentences' is 0; expected 1 to 50"),
        ("[summary]\nmethod = 'gpt'\n", "'summary.method' is 'gpt'"),
        ("[digest]\ntime = '25:00'\n", "'digest.time' is '25:00'; expected HH:MM"),
        ("[digest]\ntimezone = 'Mars/Base'\n", "'digest.timezone' is 'Mars/Base'"),
        ("[telegram]\nadmins = ['bob']\n", "'telegram.admins' must be a list of int"),
        ("[telegram]\nmode = 'webhook'\n", "'telegram.webhook_url' is required"),
        ("[bot]\nfrontends = 'telegram'\n", "'bot.frontends' must be a list of str values"),
        ("[bot]\nfrontend = ['telegram']\n", "'bot.frontend' must be a string"),
        ("summary = 3\n", "'summary' must be a table"),
        ("[summary\n", "not valid TOML"),
        ("[slack]\ninstall_path = 'install'\n", "'slack.install_path' is 'install'"),
        ("[slack]\nredirect_path = '/slack/events'\n", "'slack.redirect_path' is"),
        ("[slack]\nredirect_path = '/slack/install'\n", "must differ"),
        ("[slack]\noauth_base = 'slack.com'\n", "'slack.oauth_base' must start with http"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "c.toml"
    path.write_text(
        "[corpus]\nfolder = '../posts'\n[data]\nfolder = '/abs/data'\n", encoding="utf-8"
    )
    config = load_config(path)
    assert config.corpus_dir == tmp_path / "conf" / ".." / "posts"
    assert config.data_dir == Path("/abs/data")


OAUTH = {
    "DIGESTBOT_SLACK_CLIENT_ID": "1000000001.2000000002",
    "DIGESTBOT_SLACK_CLIENT_SECRET": "oauth-client-secret-0123456789",
    "DIGESTBOT_SLACK_SIGNING_SECRET": "signing-secret-0123456789",
}


def test_slack_oauth_needs_both_client_variables_and_http_mode_and_never_shows_them() -> None:
    http = replace(Config(), slack=replace(SlackConfig(), mode="http"))
    secrets = http.slack_secrets(OAUTH)
    assert secrets is not None and secrets.oauth and secrets.bot_token == ""
    assert "oauth-client-secret" not in repr(secrets)
    assert choose_frontends(http, environ=OAUTH) == ["slack"]  # no bot token needed
    with pytest.raises(ConfigError) as socket:
        Config().slack_secrets(OAUTH)  # socket mode, the default
    message = str(socket.value)
    assert "DIGESTBOT_SLACK_CLIENT_ID" in message and "mode = 'http'" in message
    half = {k: v for k, v in OAUTH.items() if k != "DIGESTBOT_SLACK_CLIENT_ID"}
    with pytest.raises(ConfigError) as one:
        http.slack_secrets(half)
    assert "DIGESTBOT_SLACK_CLIENT_ID" in str(one.value)
    for raised in (socket.value, one.value):
        assert not any(value in str(raised) for value in OAUTH.values())
    plain = {"DIGESTBOT_SLACK_BOT_TOKEN": "xoxb-1-2-abcdefghij", **OAUTH}
    with_token = http.slack_secrets(plain)
    assert with_token is not None and with_token.oauth and with_token.bot_token.startswith("xoxb")
    assert http.slack_secrets({}) is None

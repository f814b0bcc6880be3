"""Configuration: embedded default, the example file, and one clear error per bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config

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

"""deploy/: the Dockerfile and the systemd unit say what deploy/README.md says they do.

The build machine has no Docker daemon (and no network for the base image) and no systemd as
PID 1, so neither is started here. What can be checked is: the files parse, their commands are
the `digestbot` script that pyproject.toml declares and parse with digestbot's own argument
parser, the essentials (non-root user, data volume / state folder, token from the environment,
restart policy, hardening) are there, and `systemd-analyze` accepts and rates the unit.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SEEDS = ROOT / "seeds"
TOKEN_ENV = "DIGESTBOT_TELEGRAM_TOKEN"


def scripts() -> dict[str, str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(pyproject["project"]["scripts"])


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; comments dropped, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def only(instructions: list[tuple[str, str]], name: str) -> str:
    found = [args for word, args in instructions if word == name]
    assert len(found) == 1, f"expected one {name} in deploy/Dockerfile, found {len(found)}"
    return found[0]


def test_dockerfile_runs_the_bot_as_a_non_root_user_with_a_data_volume() -> None:
    steps = dockerfile()
    words = [w for w, _ in steps]
    assert only(steps, "FROM") == "python:3.11-slim"
    user = only(steps, "USER")
    assert user.split(":")[0] not in ("root", "0")
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN")
    assert words.index("USER") < words.index("ENTRYPOINT")
    volume = only(steps, "VOLUME")
    assert volume in ("/data", '["/data"]')
    command = exec_form(only(steps, "ENTRYPOINT")) + exec_form(only(steps, "CMD"))
    assert command[0] in scripts(), f"{command[0]} is not a script in pyproject.toml"
    args = build_parser().parse_args(command[1:])
    assert (args.command, args.data, args.corpus) == ("run", "/data", "/corpus")
    copies = {shlex.split(a)[-1]: shlex.split(a)[:-1] for w, a in steps if w == "COPY"}
    assert copies[args.config] == ["deploy/config.toml"]
    assert copies[args.corpus] == ["seeds"]


def test_dockerfile_copies_only_what_exists_and_bakes_in_no_secret() -> None:
    steps = dockerfile()
    for word, arguments in steps:
        if word == "COPY":
            for source in shlex.split(arguments)[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        if word in ("ENV", "ARG"):
            assert "TOKEN" not in arguments and "SECRET" not in arguments
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "data"} <= set(ignored)


def unit() -> dict[str, dict[str, list[str]]]:
    """The unit file as {section: {key: [values in order]}} (systemd keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (DEPLOY / "digestbot.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"digestbot.service: not KEY=VALUE: {raw}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_unit_has_a_dedicated_user_state_folder_token_file_and_restart() -> None:
    service = unit()["Service"]
    one = {key: values[-1] for key, values in service.items()}
    assert one["User"] not in ("root", "0") and one["DynamicUser"] == "yes"
    assert one["StateDirectory"] == "digestbot"
    assert one["EnvironmentFile"].startswith("/etc/digestbot/")
    assert not any(TOKEN_ENV in v for v in service.get("Environment", []))
    assert one["Restart"] == "on-failure"
    command = shlex.split(one["ExecStart"])
    assert Path(command[0]).name in scripts() and Path(command[0]).is_absolute()
    args = build_parser().parse_args(command[1:])
    assert args.command == "run"
    assert args.data == f"%S/{one['StateDirectory']}"  # %S = /var/lib for system services
    assert args.config == "/etc/digestbot/config.toml"
    assert unit()["Install"]["WantedBy"] == ["multi-user.target"]


def test_unit_hardening_options_are_set() -> None:
    one = {key: values[-1] for key, values in unit()["Service"].items()}
    expected = {
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "UMask": "0077",
    }
    assert {key: one.get(key) for key in expected} == expected
    assert set(one["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}


def _unit_for_this_machine(tmp_path: Path) -> Path:
    """The unit with /opt/digestbot replaced by this checkout, so ExecStart exists here."""
    script = Path(sys.executable).parent / "digestbot"
    if not script.exists():
        pytest.skip(f"no installed digestbot script beside {sys.executable}")
    text = (DEPLOY / "digestbot.service").read_text(encoding="utf-8")
    text = text.replace("/opt/digestbot/.venv/bin/digestbot", str(script))
    path = tmp_path / "digestbot.service"
    path.write_text(text.replace("/opt/digestbot", str(ROOT)), encoding="utf-8")
    return path


def _systemd_analyze(*argv: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    command = ["systemd-analyze", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_systemd_analyze_verify_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    path = _unit_for_this_machine(tmp_path)
    proc = _systemd_analyze("verify", str(path))
    about_us = [line for line in proc.stderr.splitlines() if "digestbot" in line]
    assert (proc.returncode, about_us) == (0, [])


def test_systemd_analyze_verify_would_catch_a_bad_key(tmp_path: Path) -> None:
    """The check above can fail: an unknown key is reported on a line naming our file."""
    path = _unit_for_this_machine(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "\n[Service]\nRestart=sometimes\n")
    proc = _systemd_analyze("verify", str(path))
    assert any("digestbot.service" in line for line in proc.stderr.splitlines())


def test_systemd_analyze_security_rates_the_unit_ok(tmp_path: Path) -> None:
    path = _unit_for_this_machine(tmp_path)
    proc = _systemd_analyze("security", "--offline=yes", "--no-pager", str(path))
    found = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", proc.stdout)
    if found is None and "--offline" in proc.stderr:
        pytest.skip("this systemd-analyze has no --offline (systemd < 250)")
    assert found is not None, proc.stdout + proc.stderr
    assert float(found.group(1)) < 2.0 and found.group(2) == "OK"


def test_deploy_config_loads_and_run_without_a_token_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(DEPLOY / "config.toml")
    assert config.frontends == ("telegram",) and config.telegram.token_env == TOKEN_ENV
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    argv = ["--config", str(DEPLOY / "config.toml"), "--corpus", str(SEEDS)]
    assert main([*argv, "--data", str(tmp_path / "data"), "run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"bot token in the environment variable {TOKEN_ENV}" in err

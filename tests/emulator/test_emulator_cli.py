"""`gateway emulator` flags, environment defaults, and what it prints."""

from __future__ import annotations

import argparse
import io

import pytest

from gateway.emulator import DEMO_API_KEY, EmulatorConfig, cli


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    names = ("HOST", "PORT", "DB", "API_KEYS", "SEED_CALLBACKS", "LATENCY_MS", "RATE_LIMIT")
    for name in (*names, "API_VERSION"):
        monkeypatch.delenv(f"GATEWAY_EMULATOR_{name}", raising=False)


def test_defaults():
    args = parse()
    assert (args.host, args.port, args.db) == ("127.0.0.1", 8100, ".data/emulator.sqlite3")
    assert (args.seed_callbacks, args.latency_ms, args.rate_limit) == (3, 0, 5000)
    config = cli.config_from_args(args, environ={})
    assert config == EmulatorConfig()
    assert config.keys == {DEMO_API_KEY: "demo"}
    assert config.api_version == "2026-02-01"
    assert config.served_versions == ("2025-01-01", "2026-02-01")


@pytest.mark.parametrize("version", ["2025-01-01", "2026-02-01"])
def test_api_version_flag_sets_the_default_version(version):
    config = cli.config_from_args(parse("--api-version", version), environ={})
    assert config.api_version == version
    assert config.served_versions == ("2025-01-01", "2026-02-01")


def test_api_version_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GATEWAY_EMULATOR_API_VERSION", "2025-01-01")
    assert cli.config_from_args(parse()).api_version == "2025-01-01"
    assert cli.config_from_args(parse("--api-version", "2026-02-01")).api_version == "2026-02-01"


def test_banner_names_the_default_version_and_the_version_keys(monkeypatch):
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: None)
    out = io.StringIO()
    cli.run(parse("--db", ":memory:", "--api-version", "2025-01-01"), out=out)
    text = out.getvalue()
    assert "API version: 2025-01-01" in text
    assert "mt_2026_01_01_magnetar" in text


def test_flags_build_the_config():
    args = parse(
        "--db", ":memory:", "--seed-callbacks", "5", "--latency-ms", "20", "--rate-limit", "9",
        "--api-key", "metorial_sk_a=team", "--api-key", "metorial_sk_b=team", "--port", "0",
    )  # fmt: skip
    config = cli.config_from_args(args, environ={})
    assert config.db_path == ":memory:"
    assert (config.seed_callbacks, config.latency_ms, config.rate_limit) == (5, 20, 9)
    assert dict(config.keys) == {"metorial_sk_a": "team", "metorial_sk_b": "team"}
    assert args.port == 0


def test_key_without_instance_gets_a_derived_non_secret_instance():
    key = "metorial_sk_secret_value"
    config = cli.config_from_args(parse("--api-key", key), environ={})
    instance = config.keys[key]
    assert instance.startswith("ins_")
    assert "secret" not in instance
    assert instance == cli.derived_instance_id(key)
    assert instance != cli.derived_instance_id("metorial_sk_other")


def test_environment_provides_defaults(monkeypatch):
    monkeypatch.setenv("GATEWAY_EMULATOR_HOST", "0.0.0.0")
    monkeypatch.setenv("GATEWAY_EMULATOR_PORT", "9100")
    monkeypatch.setenv("GATEWAY_EMULATOR_DB", "/tmp/x.sqlite3")
    monkeypatch.setenv("GATEWAY_EMULATOR_SEED_CALLBACKS", "1")
    monkeypatch.setenv("GATEWAY_EMULATOR_LATENCY_MS", "7")
    monkeypatch.setenv("GATEWAY_EMULATOR_RATE_LIMIT", "10")
    monkeypatch.setenv("GATEWAY_EMULATOR_API_KEYS", "metorial_sk_x=one, metorial_sk_y")
    args = parse()
    assert (args.host, args.port, args.db) == ("0.0.0.0", 9100, "/tmp/x.sqlite3")
    config = cli.config_from_args(args)
    assert (config.seed_callbacks, config.latency_ms, config.rate_limit) == (1, 7, 10)
    assert config.keys == {
        "metorial_sk_x": "one",
        "metorial_sk_y": cli.derived_instance_id("metorial_sk_y"),
    }


def test_flags_override_the_environment(monkeypatch):
    monkeypatch.setenv("GATEWAY_EMULATOR_PORT", "9100")
    monkeypatch.setenv("GATEWAY_EMULATOR_API_KEYS", "metorial_sk_env=env")
    args = parse("--port", "9200", "--api-key", "metorial_sk_flag=flag")
    assert args.port == 9200
    assert dict(cli.config_from_args(args).keys) == {"metorial_sk_flag": "flag"}


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "x"],
        ["--port", "-1"],
        ["--rate-limit", "0"],
        ["--latency-ms", "-5"],
        ["--seed-callbacks", "many"],
        ["--api-key", "=instance"],
        ["--api-version", "2026-01-01"],
        ["--api-version", "mt_2026_01_01_magnetar"],
    ],
)
def test_bad_flag_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(*argv)
    assert exit_info.value.code == 2


def test_bad_environment_value_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("GATEWAY_EMULATOR_LATENCY_MS", "soon")
    with pytest.raises(SystemExit):
        parse()


def test_run_prints_the_url_and_the_demo_key_and_serves(monkeypatch):
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: served.update(app=app, **kwargs))
    out = io.StringIO()
    cli.run(parse("--db", ":memory:", "--port", "8123"), out=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123" in text
    assert DEMO_API_KEY in text
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert served["app"].state.config.db_path == ":memory:"


def test_run_never_prints_keys_given_on_the_command_line(monkeypatch):
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: None)
    out = io.StringIO()
    cli.run(
        parse("--db", ":memory:", "--api-key", "metorial_sk_topsecret=prod", "--api-key", "sk2"),
        out=out,
    )
    text = out.getvalue()
    assert "topsecret" not in text
    assert "sk2" not in text
    assert DEMO_API_KEY not in text
    assert "prod" in text
    assert cli.derived_instance_id("sk2") in text


def test_config_repr_hides_keys():
    config = EmulatorConfig(api_keys={"metorial_sk_hidden": "x"})
    assert "metorial_sk_hidden" not in repr(config)


@pytest.mark.parametrize(
    "overrides",
    [
        {"db_path": ""},
        {"seed_callbacks": -1},
        {"latency_ms": -1},
        {"rate_limit": 0},
        {"api_keys": {}},
        {"api_keys": {"": "x"}},
        {"api_keys": {"k": ""}},
    ],
)
def test_config_rejects_nonsense(overrides):
    with pytest.raises(ValueError, match="must"):
        EmulatorConfig(**overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"api_version": "2026-01-01"}, "unknown API version"),
        ({"served_versions": ("2025-01-01", "magnetar")}, "unknown API version"),
        ({"api_version": "2026-02-01", "served_versions": ("2025-01-01",)}, "must include"),
    ],
)
def test_config_rejects_unknown_or_unserved_default_versions(overrides, message):
    with pytest.raises(ValueError, match=message):
        EmulatorConfig(**overrides)


def test_config_deduplicates_served_versions():
    config = EmulatorConfig(served_versions=("2026-02-01", "2026-02-01"))
    assert config.served_versions == ("2026-02-01",)

"""Settings come from GATEWAY_* variables; bad values are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.settings import Settings
from gateway.web.persisted import load_manifest


def test_environment_variables_are_parsed_by_type() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_CACHE_TTL": "2.5",
            "GATEWAY_MAX_DEPTH": "7",
            "GATEWAY_INTROSPECTION": "off",
            "GATEWAY_CORS_ORIGINS": "https://a.example, https://b.example,",
            "GATEWAY_UPSTREAM_URL": "https://api.example",
            "GATEWAY_LOG_LEVEL": "",
        }
    )
    assert settings.cache_ttl == 2.5
    assert settings.max_depth == 7
    assert settings.introspection is False
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.upstream_url == "https://api.example"
    assert settings.log_level == "INFO"


def test_flags_override_the_environment() -> None:
    settings = Settings.from_env({"GATEWAY_UPSTREAM_URL": "https://env"}, upstream_url="https://f")
    assert settings.upstream_url == "https://f"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("GATEWAY_CACHE_TTL", "soon"), ("GATEWAY_MAX_DEPTH", "1.5"), ("GATEWAY_INTROSPECTION", "y")],
)
def test_bad_values_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})


def test_the_api_key_never_shows_in_repr() -> None:
    assert "metorial_sk_secret" not in repr(Settings(upstream_api_key="metorial_sk_secret"))


def test_manifest_in_plain_form_and_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    query = "{ __typename }"
    digest = "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({digest.upper(): query}))
    assert load_manifest(plain) == {digest: query}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"0" * 64: query}))
    with pytest.raises(ValueError, match="does not hash to its id"):
        load_manifest(wrong)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(ValueError, match="expected a JSON object"):
        load_manifest(listed)

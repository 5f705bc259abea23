from __future__ import annotations

import json
import sys
import textwrap
import tomllib
import types
from pathlib import Path

import pytest

from tumbler.config import Config
from tumbler.config import ConfigAttribute


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_config_starts_with_defaults_and_keeps_root_path(tmp_path: Path) -> None:
    config = Config(tmp_path, {"DEBUG": False})
    assert config == {"DEBUG": False}
    assert config.root_path == tmp_path


def test_from_pyfile_loads_only_uppercase_globals(config: Config, tmp_path: Path) -> None:
    write(tmp_path / "settings.py", "SECRET_KEY = 'abc'\nlower = 1\nTIMEOUT = 5 * 2\n")
    assert config.from_pyfile("settings.py") is True
    assert config == {"SECRET_KEY": "abc", "TIMEOUT": 10}


def test_from_pyfile_sets_dunder_file_for_the_executed_code(config: Config, tmp_path: Path) -> None:
    write(tmp_path / "settings.py", "import os\nHERE = os.path.basename(__file__)\n")
    config.from_pyfile("settings.py")
    assert config["HERE"] == "settings.py"


def test_from_pyfile_missing_file_error_names_the_file(config: Config, tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        config.from_pyfile("nope.py")
    assert str(tmp_path / "nope.py") in str(info.value)
    assert "Unable to load configuration file" in str(info.value)


def test_from_pyfile_silent_returns_false_for_missing_file(config: Config) -> None:
    assert config.from_pyfile("nope.py", silent=True) is False
    assert config == {}


def test_from_pyfile_silent_still_raises_syntax_errors(config: Config, tmp_path: Path) -> None:
    write(tmp_path / "bad.py", "X = (\n")
    with pytest.raises(SyntaxError):
        config.from_pyfile("bad.py", silent=True)


def test_from_envvar_loads_the_named_file(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "prod.py", "DEBUG = False\n")
    monkeypatch.setenv("APP_SETTINGS", str(path))
    assert config.from_envvar("APP_SETTINGS") is True
    assert config["DEBUG"] is False


def test_from_envvar_unset_raises_runtime_error_naming_variable(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_SETTINGS", raising=False)
    with pytest.raises(RuntimeError, match="'APP_SETTINGS' is not set"):
        config.from_envvar("APP_SETTINGS")


def test_from_envvar_silent_returns_false_when_unset_or_file_missing(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_SETTINGS", raising=False)
    assert config.from_envvar("APP_SETTINGS", silent=True) is False
    monkeypatch.setenv("APP_SETTINGS", "/definitely/not/here.py")
    assert config.from_envvar("APP_SETTINGS", silent=True) is False


def test_from_object_loads_uppercase_attributes_of_a_class(config: Config) -> None:
    class Settings:
        DEBUG = True
        SECRET_KEY = "k"
        not_config = "x"
        Mixed = 1

    config.from_object(Settings)
    assert config == {"DEBUG": True, "SECRET_KEY": "k"}


def test_from_object_accepts_an_import_string(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("fake_settings_mod")
    module.VALUE = 42  # type: ignore[attr-defined]

    class Production:
        DEBUG = False

    module.Production = Production  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_settings_mod", module)
    config.from_object("fake_settings_mod")
    config.from_object("fake_settings_mod.Production")
    assert config == {"VALUE": 42, "DEBUG": False}


def test_from_object_with_unknown_import_string_raises_import_error(config: Config) -> None:
    with pytest.raises(ImportError, match="no_such_module_xyz"):
        config.from_object("no_such_module_xyz.Settings")


def test_from_file_with_json_load(config: Config, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"PORT": 8000, "lower": 1}', encoding="utf-8")
    assert config.from_file("c.json", load=json.load) is True
    assert config == {"PORT": 8000}


def test_from_file_binary_mode_with_tomllib(config: Config, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('NAME = "tümbler"\n', encoding="utf-8")
    assert config.from_file("c.toml", load=tomllib.load, text=False) is True
    assert config["NAME"] == "tümbler"


def test_from_file_missing_raises_naming_file_unless_silent(config: Config, tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        config.from_file("missing.json", load=json.load)
    assert "missing.json" in str(info.value)
    assert config.from_file("missing.json", load=json.load, silent=True) is False


def test_from_mapping_ignores_lowercase_keys_and_merges_kwargs(config: Config) -> None:
    assert config.from_mapping({"A": 1, "b": 2}, C=3, d=4) is True
    assert config == {"A": 1, "C": 3}


def test_from_prefixed_env_parses_json_values(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUMBLER_PORT", "8000")
    monkeypatch.setenv("TUMBLER_DEBUG", "true")
    monkeypatch.setenv("TUMBLER_HOSTS", '["a", "b"]')
    monkeypatch.setenv("OTHER_PORT", "1")
    config.from_prefixed_env()
    assert config["PORT"] == 8000
    assert config["DEBUG"] is True
    assert config["HOSTS"] == ["a", "b"]
    assert "OTHER_PORT" not in config and "PORT" in config


def test_from_prefixed_env_keeps_invalid_json_as_string(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUMBLER_SECRET_KEY", "not json {")
    config.from_prefixed_env()
    assert config["SECRET_KEY"] == "not json {"


def test_from_prefixed_env_builds_nested_dicts_from_double_underscore(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    config["DB"] = {"PORT": 1, "USER": "keep"}
    monkeypatch.setenv("TUMBLER_DB__PORT", "5432")
    monkeypatch.setenv("TUMBLER_CACHE__REDIS__HOST", "localhost")
    config.from_prefixed_env()
    assert config["DB"] == {"PORT": 5432, "USER": "keep"}
    assert config["CACHE"] == {"REDIS": {"HOST": "localhost"}}


def test_from_prefixed_env_custom_prefix_and_loads(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYAPP_NAME", "value")
    config.from_prefixed_env("MYAPP", loads=str.upper)
    assert config["NAME"] == "VALUE"


def test_get_namespace_trims_and_lowercases(config: Config) -> None:
    config.update(IMAGE_STORE_TYPE="fs", IMAGE_STORE_PATH="/x", OTHER=1)
    assert config.get_namespace("IMAGE_STORE_") == {"type": "fs", "path": "/x"}
    assert config.get_namespace("IMAGE_STORE_", lowercase=False) == {"TYPE": "fs", "PATH": "/x"}
    assert config.get_namespace("IMAGE_STORE_", trim_namespace=False) == {
        "image_store_type": "fs",
        "image_store_path": "/x",
    }


def test_config_repr_names_the_class(config: Config) -> None:
    config["A"] = 1
    assert repr(config) == "<Config {'A': 1}>"


class _Owner:
    debug = ConfigAttribute[bool]("DEBUG")
    port = ConfigAttribute[int]("PORT", get_converter=int)

    def __init__(self) -> None:
        self.config = {"DEBUG": False, "PORT": "80"}


def test_config_attribute_reads_and_writes_the_config_key() -> None:
    owner = _Owner()
    assert owner.debug is False
    owner.debug = True
    assert owner.config["DEBUG"] is True


def test_config_attribute_applies_get_converter_on_read() -> None:
    owner = _Owner()
    assert owner.port == 80
    owner.port = 8080
    assert owner.config["PORT"] == 8080


def test_config_attribute_on_the_class_returns_the_descriptor() -> None:
    assert isinstance(_Owner.debug, ConfigAttribute)

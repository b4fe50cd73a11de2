import os

import pytest

# Stray credentials from a developer's shell must not change modes under test (a SLACK_CLIENT_ID switches Bolt
# to OAuth; SYMBL_APP_ID switches the bot to the cloud provider).
_PREFIXES = ("SLACK_", "SYMBL_")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SYMBL_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Whisper base is the default model but about twice as slow: tests that do not test the model choice pin
    # tiny.en (those that do, e.g. tests/test_languages.py, delete or override this).
    monkeypatch.setenv("SYMBL_ENGINE_MODEL", "tiny.en")

"""Typed settings from environment variables: one settings class per service, validated at start-up.

Every service reads `TSLAKE_*` variables through `load_settings`, which turns a bad or missing
variable into exit code 2 and a message that names the variable.
"""

from tslake.settings.base import ENV_PREFIX, BaseServiceSettings, SettingsError, load_settings

__all__ = ["ENV_PREFIX", "BaseServiceSettings", "SettingsError", "load_settings"]

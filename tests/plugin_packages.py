"""Prints `-p PACKAGE` for the plugin SDK and every plugin of the workspace (a member with a manifest.toml).

`first-party` limits the list to the SDK and plugins/*, leaving out the test plugins of tests/plugins/*.
"""
import pathlib
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
first_party_only = "first-party" in sys.argv[1:]
members = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["members"]
for member in members:
    folder = root / member
    is_plugin = (folder / "manifest.toml").exists()
    if member == "plugins/sdk" or (is_plugin and not (first_party_only and member.startswith("tests/"))):
        package = tomllib.loads((folder / "Cargo.toml").read_text())["package"]["name"]
        print(f"-p {package}")

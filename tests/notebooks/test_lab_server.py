"""The JupyterLab ``tcw lab`` starts, as its server answers: only on 127.0.0.1 and only with the token, no
news and no update check, an extension manager that cannot install, the offline defaults in the
settings, and a workspace still owner-only after a notebook ran in it."""

from __future__ import annotations

import json
import re
import stat
import urllib.error
import urllib.request

import psutil
import pytest

from tests.notebooks.harness import TINY

CONFIG_DATA = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.DOTALL)


def api(lab, path: str) -> dict:
    return json.loads(lab.get(path))


def test_it_listens_on_127_0_0_1_only_and_wants_the_token(lab):
    listening = [c.laddr for c in psutil.Process(lab.process.pid).net_connections("inet") if c.status == "LISTEN"]
    assert listening and {address.ip for address in listening} <= {"127.0.0.1"}, listening
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{lab.url}/api/contents/notebooks", timeout=10)  # noqa: S310 - 127.0.0.1
    assert refused.value.code == 403
    assert TINY.name in {item["name"] for item in api(lab, "/api/contents/notebooks")["content"]}


def test_no_news_no_update_check_and_no_installs(lab):
    assert api(lab, "/lab/api/news") == {"news": []}
    assert api(lab, "/lab/api/update") == {"notification": None}
    page = json.loads(CONFIG_DATA.search(lab.get("/lab").decode()).group(1))
    assert page["news"] == {"disabled": True}
    assert page["extensionManager"]["can_install"] is False and page["extensionManager"]["name"] == "read-only"


@pytest.mark.parametrize(("plugin", "defaults"), [
    ("@jupyterlab/apputils-extension:notification", {"fetchNews": "false", "checkForUpdates": False}),
    ("@jupyterlab/extensionmanager-extension:plugin", {"enabled": False}),
])
def test_the_offline_settings_are_the_defaults(lab, plugin, defaults):
    schema = api(lab, f"/lab/api/settings/{plugin}")["schema"]["properties"]
    assert {name: schema[name]["default"] for name in defaults} == defaults


def test_hidden_lab_files_are_not_served(lab):
    with pytest.raises(urllib.error.HTTPError) as hidden:
        lab.get("/api/contents/.lab/config")
    assert hidden.value.code == 404


def test_the_workspace_stays_owner_only(lab, lab_browser):
    from tests.notebooks.lab_browser import lab_page

    with lab_page(lab_browser, lab) as visit:  # a run in the browser writes checkpoints, kernel files…
        visit.open(TINY.name)
        visit.page.keyboard.press("Control+s")
        visit.page.wait_for_timeout(500)
    exposed = [path for path in (lab.root, *lab.root.rglob("*"))
               if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) & 0o077]
    assert exposed == [], exposed[:5]

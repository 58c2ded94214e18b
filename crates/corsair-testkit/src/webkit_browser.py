#!/usr/bin/python3
"""The browser WebKitWebDriver starts in MiniBrowser's place (corsair-testkit, webkit.rs).

MiniBrowser runs automation in an ephemeral session that writes console messages nowhere. This
one is the same WebKitGTK library (WebKit2 4.1) with two differences that matter to the tests:
normal storage in a fresh temporary directory per session (removed on exit), and every console
message written to stdout ("CONSOLE <source> <level> <text>"), where the driver reads them.

WebKitWebDriver runs it as `BINARY ARGS` (the capability `webkitgtk:browserOptions`; the driver adds
nothing, so ARGS carry `--automation`) with WEBKIT_INSPECTOR_SERVER set. The driver passes
`--data-directory=DIR`, a fresh directory it removes after the session. The web context allows
automation, and each `create-web-view` of the automation session gets a view that
`is-controlled-by-automation`. Every host but loopback goes to a proxy on the discard port, which
refuses it: a fence that keeps the browser off the network.
"""

import os
import shutil
import signal
import sys
import tempfile

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

LOOPBACK = ["localhost", "127.0.0.0/8", "::1"]


def main():
    args = sys.argv[1:]
    if "--automation" not in args:
        print("usage: webkit_browser.py --automation [--data-directory=DIR]", file=sys.stderr)
        return 2
    given = [a.split("=", 1)[1] for a in args if a.startswith("--data-directory=")]
    if given:
        os.makedirs(given[-1], exist_ok=True)
        return run(given[-1])
    data = tempfile.mkdtemp(prefix="corsair-webkit-")
    try:
        return run(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(data):
    manager = WebKit2.WebsiteDataManager(
        base_data_directory=os.path.join(data, "data"),
        base_cache_directory=os.path.join(data, "cache"),
    )
    proxy = WebKit2.NetworkProxySettings.new("http://127.0.0.1:9", LOOPBACK)
    manager.set_network_proxy_settings(WebKit2.NetworkProxyMode.CUSTOM, proxy)
    context = WebKit2.WebContext(website_data_manager=manager)
    context.set_automation_allowed(True)
    context.set_cache_model(WebKit2.CacheModel.DOCUMENT_VIEWER)

    settings = WebKit2.Settings()
    settings.set_property("enable-write-console-messages-to-stdout", True)
    settings.set_property("enable-developer-extras", True)

    loop = GLib.MainLoop()
    windows = []

    def create_web_view(_session):
        view = WebKit2.WebView(web_context=context, settings=settings, is_controlled_by_automation=True)
        window = Gtk.Window()
        window.set_default_size(800, 600)
        window.add(view)
        window.show_all()
        windows.append(window)

        def closed(_view):
            window.destroy()
            windows.remove(window)

        view.connect("close", closed)
        return view

    def automation_started(_context, session):
        info = WebKit2.ApplicationInfo()
        info.set_name("corsair-webkit")
        info.set_version(WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version())
        session.set_application_info(info)
        session.connect("create-web-view", create_web_view)

    context.connect("automation-started", automation_started)
    # WebKitWebDriver ends the session by closing the last view, then signals the process.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda *_: loop.quit() or GLib.SOURCE_REMOVE)
    loop.run()
    return 0


if __name__ == "__main__":
    Gtk.init(sys.argv)
    sys.exit(main())

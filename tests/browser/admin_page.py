"""Drives the admin page of a running `keyway serve` in headless Chromium (Debian's chromium and
chromium-driver) with Selenium: signs in, opens every view, takes a screenshot of each, clears one cached
secret and approves a request through the page, and reports what the page showed and every URL it fetched.

Run by host/cli/tests/cli/admin_page.rs: `python admin_page.py '<json settings>'`; prints one JSON object.
"""

import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

VIEWS = ["managers", "cache", "approvals", "errors", "compliance"]


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_for(driver, condition, what, timeout=15):
    try:
        return WebDriverWait(driver, timeout).until(lambda d: condition(d))
    except Exception as error:  # noqa: BLE001 - report what was awaited
        raise SystemExit(f"timed out waiting for {what}: {error}; page: {driver.page_source[:2000]}")


def show(driver, view):
    driver.find_element(By.ID, f"nav-{view}").click()
    wait_for(
        driver,
        lambda d: d.execute_script("return document.getElementById('view').dataset.loaded") == view,
        f"the {view} view",
    )
    time.sleep(0.2)


def main():
    settings = json.loads(sys.argv[1])
    base, out = settings["base"], settings["out"]
    driver = browser(settings["profile"])
    report = {"views": {}, "screenshots": [], "statuses": {}}
    try:
        driver.get(base + "/admin")
        wait_for(driver, lambda d: d.find_element(By.ID, "login").is_displayed(), "the sign-in form")
        driver.find_element(By.ID, "token").send_keys(settings["token"])
        driver.find_element(By.ID, "groups").send_keys(settings["groups"])
        driver.find_element(By.ID, "sign-in").click()
        wait_for(driver, lambda d: d.find_element(By.ID, "nav").is_displayed(), "the navigation")
        for view in VIEWS:
            show(driver, view)
            shot = f"{out}/admin-{view}.png"
            driver.save_screenshot(shot)
            report["screenshots"].append(shot)
            report["views"][view] = driver.find_element(By.ID, "view").text
        report["html"] = driver.page_source

        # Clear one cached secret through the page.
        show(driver, "cache")
        driver.find_element(By.CSS_SELECTOR, f"button[data-clear='{settings['clear']}']").click()
        wait_for(driver, lambda d: "cleared" in d.find_element(By.ID, "status").text, "the clear")
        report["statuses"]["clear"] = driver.find_element(By.ID, "status").text
        report["views"]["cache-after-clear"] = driver.find_element(By.ID, "view").text

        # Approve a request through the page.
        show(driver, "approvals")
        driver.find_element(By.CSS_SELECTOR, f"button[data-approve='{settings['approve']}']").click()
        wait_for(driver, lambda d: "approved" in d.find_element(By.ID, "status").text, "the approval")
        report["statuses"]["approve"] = driver.find_element(By.ID, "status").text

        # Every URL the page fetched, from Chromium's own network log.
        urls = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["method"] + " " + message["params"]["request"]["url"])
        report["requests"] = urls
        report["console"] = [entry["message"] for entry in driver.get_log("browser")]
        report["storage"] = driver.execute_script(
            "return {cookies: document.cookie, local: Object.keys(localStorage)}"
        )
    finally:
        driver.quit()
    print(json.dumps(report))


if __name__ == "__main__":
    main()

"""Browser tests of the consumer's stamp-check page (GET /c/{code}, order No 288 cl. 19, 27), in Debian's Chromium
driven by Selenium (scripts/browser-test.sh runs them after the console tests).

They run against the registrar of a live simulated plant (`qazline-demo --hold`): a code the line activated is opened
on a phone-sized screen, the buyer shares a fixed position through Chrome DevTools and the registrar's database shows
it on the scan; a refused permission sends nothing; a malformed code, a hostile path and a well-formed code the
registrar never issued get their pages; the language links keep the code. Every page is checked for JavaScript errors
in the browser's log. With --screenshots DIR each page is saved at phone and desktop size.
"""
import argparse
import os
import re
import sqlite3
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
ALMATY = {"latitude": 43.2389, "longitude": 76.8897, "accuracy": 25}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A well-formed code (16-40 of 0-9A-Z) no waybill issued; the test checks the database does not hold it.
UNKNOWN_CODE = "ZZZZ0000QAZLINE0TEST"


def phone():
    """Chromium as a phone: 390x844 CSS pixels, a mobile viewport (the page's viewport meta applies), English asked
    for by Accept-Language."""
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844", "--lang=en-US"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    return driver


def registrar_db():
    return sqlite3.connect(f"file:{os.path.join(ARGS.workdir, 'registrar.sqlite')}?mode=ro", uri=True, timeout=10)


class VerifyPage(unittest.TestCase):
    """The page a buyer sees on scanning a stamp's QR, and the opt-in location."""

    @classmethod
    def setUpClass(cls):
        if not ARGS.registrar_url:
            raise unittest.SkipTest("the demo printed no registrar address")
        cls.url = ARGS.registrar_url.rstrip("/")
        cls.origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(cls.url))
        with registrar_db() as db:
            # Codes the line activated and no one has redeemed: the genuine ones.
            rows = db.execute("""SELECT c.code, w.product_name, c.owner_bin FROM code c JOIN waybill w ON w.id = c.waybill_id
                                 WHERE c.status = 'activated' AND c.redeemed_at IS NULL ORDER BY c.id LIMIT 2""").fetchall()
            row = rows[0] if rows else None
            # A code issued to the other producer, whose caps the line rejects as foreign: never activated.
            cls.issued = db.execute("""SELECT code FROM code WHERE status = 'issued' AND owner_bin <> ?
                                       ORDER BY id LIMIT 1""", (row[2] if row else "",)).fetchone()
            assert db.execute("SELECT COUNT(*) FROM code WHERE code = ?", (UNKNOWN_CODE,)).fetchone()[0] == 0
        if row is None:
            raise AssertionError("the demo's registrar has no activated code")
        if len(rows) < 2:
            raise AssertionError("the demo's registrar has fewer than two activated codes")
        cls.genuine, cls.product, cls.owner = row
        # A second genuine code for the refused permission: the page counts one scan per client and code in 10 min,
        # so reopening the first code would show test 1's scan, which already holds a place.
        cls.other_genuine = rows[1][0]
        cls.driver = phone()
        cls.wait = WebDriverWait(cls.driver, 20)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()

    # helpers

    def errors(self, expected=()):
        """SEVERE entries of the browser's log since the last call; an error page's own status (422, 429) is the
        answer, not an error, when `expected` names it."""
        return [e for e in self.driver.get_log("browser")
                if e["level"] == "SEVERE" and not any(f"status of {status}" in e["message"] for status in expected)]

    def open(self, path):
        self.driver.get(self.url + path)
        self.wait.until(lambda d: d.find_elements(By.ID, "verdict"))
        return self.driver.find_element(By.ID, "verdict")

    def text(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def scan_row(self, scan):
        with registrar_db() as db:
            return db.execute("SELECT code, verdict, latitude, longitude, accuracy, region FROM scan WHERE id = ?", (scan,)).fetchone()

    def shot(self, name):
        """Saves the page as the phone shows it (the whole page), and at 1280x900 on a desktop."""
        if not ARGS.screenshots:
            return
        os.makedirs(ARGS.screenshots, exist_ok=True)
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", dict(PHONE, height=max(PHONE["height"], height), deviceScaleFactor=2))
        self.driver.save_screenshot(os.path.join(ARGS.screenshots, f"verify-{name}-phone-390.png"))
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.3)
        self.driver.save_screenshot(os.path.join(ARGS.screenshots, f"verify-{name}-desktop.png"))
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)

    def assertFitsThePhone(self):
        width = self.driver.execute_script("return document.documentElement.scrollWidth")
        self.assertLessEqual(width, PHONE["width"], "the page scrolls sideways on a 390 px phone")

    # tests, in order

    def test_1_genuine_code_and_the_location_shared(self):
        banner = self.open(f"/c/{self.genuine}")
        self.assertEqual(banner.get_attribute("data-verdict"), "genuine")
        self.assertIn("genuine", banner.get_attribute("class").split())
        self.assertEqual(self.text("#verdict h1"), "Genuine stamp")
        self.assertEqual(self.text("#verdict .icon"), "✓", "the verdict has an icon, not only a colour")
        self.assertEqual(self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"), "en")
        self.assertEqual(self.text(".facts .code"), self.genuine)
        self.assertIn(self.product, self.text(".facts"))
        self.assertIn(self.owner, self.text(".facts"))
        self.assertIn("1414", self.text("footer"))
        self.assertIn("no personal data", self.text("#privacy"))
        self.assertFitsThePhone()
        # Only the page's own script, from the registrar.
        sources = self.driver.execute_script("return Array.from(document.scripts).map(s => s.src + '|' + s.text.trim())")
        self.assertEqual(sources, [self.origin + "/c/verify.js|"])
        # The script reveals the opt-in button; nothing is asked of the browser before it is pressed.
        self.wait.until(lambda d: d.find_element(By.ID, "share-location").is_displayed())
        button = self.driver.find_element(By.ID, "share-location")
        scan = button.get_attribute("data-scan")
        self.assertRegex(scan, UUID)
        self.assertEqual(self.scan_row(scan)[:3], (self.genuine, "genuine", None), "the scan is recorded without a place")
        self.assertEqual(self.errors(), [])
        self.shot("genuine")
        # The buyer allows the location (a fixed position in Almaty) and presses the button.
        self.driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": self.origin, "permissions": ["geolocation"]})
        self.driver.execute_cdp_cmd("Emulation.setGeolocationOverride", ALMATY)
        button.click()
        self.wait.until(lambda d: "Thank you" in d.find_element(By.ID, "location-status").text)
        self.assertFalse(button.is_displayed(), "the button goes once the location is sent")
        code, verdict, latitude, longitude, accuracy, region = self.scan_row(scan)
        self.assertEqual((code, verdict), (self.genuine, "genuine"))
        self.assertAlmostEqual(latitude, ALMATY["latitude"], places=4)
        self.assertAlmostEqual(longitude, ALMATY["longitude"], places=4)
        self.assertAlmostEqual(accuracy, ALMATY["accuracy"], places=1)
        self.assertEqual(region, "Almaty (city)")
        self.assertEqual(self.errors(), [])
        self.shot("genuine-thanks")

    def test_2_a_refused_permission_sends_nothing(self):
        self.driver.execute_cdp_cmd("Browser.resetPermissions", {})
        self.driver.execute_cdp_cmd("Browser.setPermission", {"origin": self.origin, "permission": {"name": "geolocation"}, "setting": "denied"})
        self.open(f"/c/{self.other_genuine}")
        self.wait.until(lambda d: d.find_element(By.ID, "share-location").is_displayed())
        button = self.driver.find_element(By.ID, "share-location")
        scan = button.get_attribute("data-scan")
        self.assertEqual(self.scan_row(scan)[:2], (self.other_genuine, "genuine"))
        button.click()
        self.wait.until(lambda d: "not allowed" in d.find_element(By.ID, "location-status").text)
        self.assertTrue(button.is_displayed() and button.is_enabled(), "the buyer may change their mind and try again")
        self.assertEqual(self.scan_row(scan)[2:], (None, None, None, None))
        self.assertEqual(self.errors(), [])
        self.driver.execute_cdp_cmd("Browser.resetPermissions", {})

    def test_3_a_malformed_code_and_a_hostile_path(self):
        # Not a stamp code: a refusal of the field (422 invalid_field, as POST /v1/verify answers; 400 accepted too).
        banner = self.open("/c/not-a-stamp")
        self.assertIn(banner.get_attribute("data-status"), ("400", "422"))
        self.assertTrue(self.text("#verdict h1"))
        self.assertFalse(self.driver.find_elements(By.ID, "share-location"))
        self.assertEqual(self.driver.execute_script("return document.scripts.length"), 0)
        self.assertFitsThePhone()
        self.assertEqual(self.errors(expected=(400, 422)), [])
        self.shot("malformed")
        # A path that tries to inject markup is shown as text, never run.
        banner = self.open("/c/" + urllib.parse.quote("<script>alert(1)</script><img src=x onerror=alert(2)>", safe=""))
        self.assertIn(banner.get_attribute("data-status"), ("400", "422"))
        self.assertEqual(self.driver.execute_script("return document.scripts.length + document.images.length"), 0)
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text
        self.assertEqual(self.errors(expected=(400, 422)), [])
        # The error page is served with the page's security headers.
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(self.url + "/c/not-a-stamp", timeout=10)
        self.assertIn(refused.exception.code, (400, 422))
        self.assertIn("script-src 'self'", refused.exception.headers.get("Content-Security-Policy", ""))
        self.assertTrue(refused.exception.headers.get("Content-Type", "").startswith("text/html"))

    def test_4_a_code_the_registrar_never_issued(self):
        banner = self.open(f"/c/{UNKNOWN_CODE}")
        self.assertEqual(banner.get_attribute("data-verdict"), "unknown")
        self.assertIn("bad", banner.get_attribute("class").split())
        self.assertEqual(self.text("#verdict h1"), "Stamp not found")
        self.assertIn("Do not buy or drink it.", self.text("#advice"))
        self.assertIn("1414", self.text("#advice"))
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR, "#advice .call a").get_attribute("href"), "tel:1414")
        # The scan of a counterfeit is what the location is most wanted for.
        self.wait.until(lambda d: d.find_element(By.ID, "share-location").is_displayed())
        scan = self.driver.find_element(By.ID, "share-location").get_attribute("data-scan")
        self.assertEqual(self.scan_row(scan)[:2], (UNKNOWN_CODE, "unknown"))
        self.assertFitsThePhone()
        self.assertEqual(self.errors(), [])
        self.shot("unknown")

    def test_5_a_code_issued_but_never_activated(self):
        if self.issued is None:
            self.skipTest("every code of the demo's waybills was used")
        banner = self.open(f"/c/{self.issued[0]}")
        self.assertEqual(banner.get_attribute("data-verdict"), "notActivated")
        self.assertEqual(self.text("#verdict h1"), "Stamp not activated")
        self.assertIn("Do not buy or drink it.", self.text("#advice"))
        self.assertEqual(self.errors(), [])
        self.shot("not-activated")

    def test_6_languages_keep_the_code(self):
        self.open(f"/c/{self.genuine}?lang=ru")
        self.assertEqual(self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"), "ru")
        self.assertEqual(self.text("#verdict h1"), "Подлинная марка")
        self.assertIn("Не храним персональные данные".lower(), self.text("#privacy").lower())
        self.wait.until(lambda d: d.find_element(By.ID, "share-location").is_displayed())
        self.assertIn("местоположение", self.driver.find_element(By.ID, "share-location").text)
        self.shot("genuine-ru")
        # The switcher's link to Kazakh opens the same code in Kazakh.
        self.driver.find_element(By.CSS_SELECTOR, "nav.lang a[hreflang='kk']").click()
        self.wait.until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk")
        self.assertEqual(urllib.parse.urlsplit(self.driver.current_url).path, f"/c/{self.genuine}")
        self.assertEqual(self.text("#verdict h1"), "Түпнұсқа марка")
        self.assertEqual(self.text(".facts .code"), self.genuine)
        self.assertEqual(self.errors(), [])
        self.shot("genuine-kk")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar-url", required=True, help="the registrar, http://HOST:PORT/ (the demo's registrar console)")
    parser.add_argument("--workdir", required=True, help="the demo's working directory (registrar.sqlite)")
    parser.add_argument("--screenshots", default="")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()

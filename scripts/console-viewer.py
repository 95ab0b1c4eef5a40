"""Keeps a line console's overview open in headless Chromium, as an operator's screen would (agent-bench --browsers N).

    python scripts/console-viewer.py URL USER PASSWORD

Signs in, opens the overview and stays until killed; prints one line when the live figures arrive."""
import signal
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
# SIGTERM (agent-bench's terminate) ends the browser too. A Swift parent blocks SIGTERM and SIGINT in its threads
# (for its own signal handling) and a child inherits that mask: unblock them first, for this process and its browser.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
options = webdriver.ChromeOptions()
for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800"):
    options.add_argument(argument)
driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
try:
    driver.get(url + "/login")
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "l0-bottles"))
    # Live: updates keep arriving (the page shows "connection lost" after 5 s without one).
    time.sleep(7)
    if driver.find_element(By.ID, "lost").is_displayed():
        sys.exit("console-viewer: the overview gets no live updates")
    print("console-viewer: overview open and live", flush=True)
    while True:
        time.sleep(60)
finally:
    driver.quit()

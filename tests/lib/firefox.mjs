// How Debian's Firefox ESR is started for the browser tests: headless,
// driven by puppeteer-core over WebDriver BiDi, fake camera and microphone,
// ICE over loopback, and no background network.
import puppeteer from 'puppeteer-core';

export const FIREFOX = process.env.SEALROOM_FIREFOX || '/usr/bin/firefox-esr';
// Fake devices without prompts, autoplay allowed, ICE over loopback, and as
// little background traffic as the profile allows (puppeteer's default profile
// already turns off updates, safe browsing, telemetry upload).
// ICE over loopback takes two prefs: `ice.loopback` (127.0.0.1 is left out of
// the host candidates by default, and the server is there), and
// `permission.fake`: a page that is not capturing gathers only the addresses
// of the default route's interface (never 127.0.0.1), and fake devices count
// as capturing only with this pref. Without either, Firefox forms no candidate
// pair with the server's 127.0.0.1 candidate and ICE fails ("ICE failed, add a
// STUN server"). Real devices and a routable server address need neither.
export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.navigator.permission.fake': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'app.update.enabled': false,
  'app.update.auto': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.google.updateURL': '',
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'browser.ping-centre.telemetry': false,
  'extensions.blocklist.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'app.shield.optoutstudies.enabled': false,
  'app.normandy.enabled': false,
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-gmpopenh264.autoupdate': false,
  'security.OCSP.enabled': 0,
};

export function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox', protocol: 'webDriverBiDi', executablePath: FIREFOX, headless: true,
    extraPrefsFirefox: FIREFOX_PREFS, defaultViewport: { width: 1280, height: 720 }, timeout: 30000,
  });
}

// A Firefox that can share a screen. Headless Firefox has no screen to
// capture (getDisplayMedia says NotFoundError), so this one runs headed on
// a virtual X display of its own (Xvfb, the first free display number); with
// `media.navigator.permission.disabled` getDisplayMedia takes the whole
// screen without a picker. Resolves with { browser, close() }.
export async function launchFirefoxWithScreen() {
  const { spawn } = await import('node:child_process');
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x720x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  xvfb.stderr.on('data', (d) => { stderr += d; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${stderr}`)), 10000);
    xvfb.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) { clearTimeout(timer); resolve(out.trim()); }
    });
    xvfb.on('exit', (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}): ${stderr}`)); });
  });
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox', protocol: 'webDriverBiDi', executablePath: FIREFOX, headless: false,
      extraPrefsFirefox: FIREFOX_PREFS, defaultViewport: { width: 1280, height: 720 }, timeout: 30000,
      env: { ...process.env, DISPLAY: `:${display}`, MOZ_HEADLESS: '' },
    });
  } catch (err) {
    xvfb.kill();
    throw err;
  }
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      xvfb.kill();
    },
  };
}

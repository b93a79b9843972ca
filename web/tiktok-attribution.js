/*
 * TikTok attribution for the storefront (served by shopsync at
 * /tiktok-attribution.js). Include it on every page:
 *   <script src="https://YOUR-SHOPSYNC/tiktok-attribution.js" defer></script>
 * It keeps the ttclid of an ad click's landing URL in a first-party cookie
 * for 30 days, and gives the checkout what to put in the Stripe Checkout
 * Session's metadata: shopsyncTikTok.metadata() returns
 * {ttclid, ttp, page_url, client_user_agent} (empty ones left out). The
 * client's IP is best added by the store's server, which sees it.
 */
(function () {
  "use strict";
  var THIRTY_DAYS_S = 30 * 24 * 3600;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (eq > 0 && parts[i].slice(0, eq) === name) {
        try {
          return decodeURIComponent(parts[i].slice(eq + 1));
        } catch (e) {
          return "";
        }
      }
    }
    return "";
  }

  var clickId = new URLSearchParams(window.location.search).get("ttclid");
  // TikTok's click ids are URL-safe; anything else is not kept.
  if (clickId && /^[A-Za-z0-9._~-]{1,500}$/.test(clickId)) {
    document.cookie = "ttclid=" + encodeURIComponent(clickId) + "; Max-Age=" + THIRTY_DAYS_S +
      "; Path=/; SameSite=Lax" + (window.location.protocol === "https:" ? "; Secure" : "");
  }

  window.shopsyncTikTok = {
    ttclid: function () { return readCookie("ttclid"); },
    // _ttp is the TikTok pixel's own first-party cookie.
    ttp: function () { return readCookie("_ttp"); },
    metadata: function () {
      var m = {
        ttclid: readCookie("ttclid"),
        ttp: readCookie("_ttp"),
        page_url: window.location.href,
        client_user_agent: navigator.userAgent
      };
      Object.keys(m).forEach(function (k) { if (!m[k]) delete m[k]; });
      return m;
    }
  };
})();

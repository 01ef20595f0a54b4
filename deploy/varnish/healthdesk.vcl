# HealthDesk behind Varnish 7 (Debian's varnish + varnish-modules for xkey).
#
# The application decides what may be shared: a response is cached only when it says
# `Cache-Control: public` (public pages answered to a request without a session), for its
# s-maxage, and tagged by its `xkey` header (article:..., drug:..., thread:..., site).
# The application purges those tags when content changes (CACHE_PURGE_URLS pointing here).
#
#   varnishd -a :80 -f /etc/varnish/healthdesk.vcl -s malloc,256m
vcl 4.1;

import std;
import xkey;

backend default {
    .host = "127.0.0.1"; .port = "8000";
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
    # A stopped or failing application is noticed within about two seconds; until it is
    # healthy again, readers get the cached copies (see vcl_recv: req.grace).
    .probe = {
        .url = "/healthz";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
    }
}

# The addresses allowed to purge: the application servers. Add yours here.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (req.http.xkey-softpurge) {
            # Expired but kept for grace: served while the application is down.
            set req.http.x-purged = xkey.softpurge(req.http.xkey-softpurge);
        } else if (req.http.xkey) {
            set req.http.x-purged = xkey.purge(req.http.xkey);
        } else {
            return (purge);  # no keys: this one address
        }
        return (synth(200, "Purged " + req.http.x-purged));
    }

    # Tracking parameters never change a page: drop them, so they share one cached copy.
    if (req.url ~ "(?i)[?&](utm_[a-z_]+|gclid|dclid|gbraid|wbraid|fbclid|msclkid|mc_cid|mc_eid|yclid|_ga|_gl|igshid)=") {
        set req.url = regsuball(req.url, "(?i)([?&])(utm_[a-z_]+|gclid|dclid|gbraid|wbraid|fbclid|msclkid|mc_cid|mc_eid|yclid|_ga|_gl|igshid)=[^&#]*", "\1");
        set req.url = regsuball(req.url, "&{2,}", "&");
        set req.url = regsub(req.url, "\?&", "?");
        set req.url = regsub(req.url, "[?&]+$", "");
    }

    # Equivalent addresses share one object: the parameters in one order (the application
    # reads them by name; a repeated filter such as color= is a set), no empty query.
    if (req.url ~ "\?") {
        set req.url = std.querysort(req.url);
        set req.url = regsub(req.url, "\?$", "");
    }

    # One cached variant per real encoding: gzip or none.
    if (req.http.Accept-Encoding) {
        if (req.http.Accept-Encoding ~ "(?i)\bgzip\b") {
            set req.http.Accept-Encoding = "gzip";
        } else {
            unset req.http.Accept-Encoding;
        }
    }

    # Healthy application: a stale copy is served for at most the page's
    # stale-while-revalidate (while it is refreshed); down: for the whole grace.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 60s;
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/healthz") {
        return (pass);
    }
    if (req.url ~ "^/static/") {
        unset req.http.Cookie;  # fingerprinted files, the same for everyone
        return (hash);
    }
    # A session (a member, or a visitor with a form token or flashed message), a remembered
    # log-in, or the no-JavaScript text size: the page is theirs, straight from the application.
    if (req.http.Cookie ~ "(^|;\s*)(__Host-)?(session|remember_token|remember|font_size)=") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Any other cookie (analytics and the like) means nothing to the application.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # Only what the application marked public is kept; everything else is passed on as is.
    if (beresp.http.Cache-Control !~ "(?i)\bpublic\b" || beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # A failing background refresh must not replace a good copy.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # Kept after its TTL to serve while the application is down (stale-if-error).
    set beresp.grace = 24h;
    set beresp.keep = 1h;
}

sub vcl_backend_error {
    if (bereq.is_bgfetch) {
        return (abandon);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;  # the tags are for this cache only
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}

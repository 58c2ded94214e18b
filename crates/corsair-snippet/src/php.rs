//! PHP (any SAPI: php-fpm, mod_php, the built-in server): a `cors.php` the entry point requires
//! first. It answers preflights and exits, and otherwise sends the headers with `header()` before
//! the app writes anything, so every status the app sets afterwards carries them: a
//! `http_response_code(500)`, and the 500 PHP itself sends for an uncaught exception when
//! `display_errors` is off. All in one closure, so nothing leaks into the app's global scope.

use crate::plan::Plan;
use crate::Part;

/// A PHP single-quoted string literal.
fn php(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn php_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| php(s)).collect::<Vec<_>>().join(", "))
}

fn php_opt(v: Option<&str>) -> String {
    v.map_or("null".to_owned(), php)
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::from("<?php\n");
    s.push_str("// corsair snippet for PHP 7.4+: save as cors.php and require it first thing in the entry point\n");
    s.push_str("// (index.php, the front controller), before any output:\n");
    s.push_str("//     require __DIR__ . '/cors.php';\n");
    s.push_str("// Remove other CORS code. If the app sets Vary, it must add: header('Vary: ...', false).\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str("(function () {\n");
    s.push_str("    // Exact origins, compared byte for byte before any pattern.\n");
    s.push_str(&format!("    $allowedOrigins = {};\n", php_list(&plan.exact)));
    s.push_str("    // Patterns, anchored (D: `$` is the end, never before a trailing newline), dots escaped.\n");
    s.push_str("    $allowedOriginPatterns = [");
    for (source, re) in &plan.regexes {
        s.push_str(&format!("\n        {}, // {source}", php(&format!("#{re}#D"))));
    }
    s.push_str(if plan.regexes.is_empty() { "];\n" } else { "\n    ];\n" });
    s.push_str(&format!("    $anyOrigin = {};\n", plan.star || plan.any_echoed));
    s.push_str(&format!("    $star = {}; // answer `*`: any origin, no credentials\n", plan.star));
    s.push_str(&format!("    $credentials = {};\n", plan.credentials));
    s.push_str(&format!(
        "    $preflightMethods = {}; // null: any method\n",
        plan.preflight_methods().map_or("null".to_owned(), |m| php_list(&m))
    ));
    s.push_str(&format!(
        "    $preflightHeaders = {}; // null: any header\n",
        plan.headers.as_deref().map_or("null".to_owned(), php_list)
    ));
    s.push_str(&format!(
        "    $anyHeaderCoversAuthorization = {};\n",
        plan.headers.is_none() && plan.any_header_authorization
    ));
    s.push_str(&format!(
        "    $allowMethods = {}; // null: name the requested method back\n",
        php_opt(plan.allow_methods_value.as_deref())
    ));
    s.push_str(&format!(
        "    $allowHeaders = {}; // null: name the requested headers back\n",
        php_opt(plan.allow_headers_value.as_deref())
    ));
    s.push_str(&format!("    $exposeHeaders = {};\n", php_opt(plan.expose_value.as_deref())));
    s.push_str(&format!("    $maxAge = {};\n", php_opt(plan.max_age.map(|a| a.to_string()).as_deref())));
    s.push_str(&format!("    $preflightStatus = {};\n", plan.preflight_status));
    s.push_str(&format!("    $refusedPreflightStatus = {};\n", plan.refused_preflight_status));
    s.push_str(&format!(
        "    $refusedActualStatus = {}; // null: let the app answer, without CORS headers\n",
        plan.refused_actual_status.map_or("null".to_owned(), |s| s.to_string())
    ));
    s.push_str(CODE);
    (vec![Part { place: "cors.php".to_owned(), text: s }], Vec::new())
}

const CODE: &str = r#"
    $headerNames = function ($value) {
        return array_values(array_filter(array_map(
            fn ($n) => strtolower(trim($n)),
            explode(',', (string) $value)
        ), fn ($n) => $n !== ''));
    };
    if (!$star) {
        header('Vary: Origin', false);
    }
    $origin = $_SERVER['HTTP_ORIGIN'] ?? null;
    if ($origin === null) {
        return;
    }
    $requestMethod = $_SERVER['HTTP_ACCESS_CONTROL_REQUEST_METHOD'] ?? null;
    $requestHeaders = $_SERVER['HTTP_ACCESS_CONTROL_REQUEST_HEADERS'] ?? null;
    $preflight = $_SERVER['REQUEST_METHOD'] === 'OPTIONS' && $requestMethod !== null;
    if ($preflight) {
        header('Vary: Access-Control-Request-Method, Access-Control-Request-Headers', false);
    }
    $allowed = in_array($origin, $allowedOrigins, true) || $anyOrigin;
    foreach ($allowedOriginPatterns as $pattern) {
        $allowed = $allowed || preg_match($pattern, $origin) === 1;
    }
    if ($allowed && $preflight) {
        if ($preflightMethods !== null && !in_array($requestMethod, $preflightMethods, true)) {
            $allowed = false;
        }
        foreach ($headerNames($requestHeaders) as $name) {
            if ($preflightHeaders !== null ? !in_array($name, $preflightHeaders, true)
                : ($name === 'authorization' && !$anyHeaderCoversAuthorization)) {
                $allowed = false;
            }
        }
    }
    if (!$allowed) {
        $status = $preflight ? $refusedPreflightStatus : $refusedActualStatus;
        if ($status !== null) {
            http_response_code($status);
            exit;
        }
        return; // no CORS headers: the browser blocks the read
    }
    header('Access-Control-Allow-Origin: ' . ($star ? '*' : $origin));
    if ($credentials) {
        header('Access-Control-Allow-Credentials: true');
    }
    if (!$preflight) {
        if ($exposeHeaders !== null) {
            header('Access-Control-Expose-Headers: ' . $exposeHeaders);
        }
        return;
    }
    header('Access-Control-Allow-Methods: ' . ($allowMethods ?? $requestMethod));
    if (count($headerNames($requestHeaders)) > 0) {
        header('Access-Control-Allow-Headers: ' . ($allowHeaders ?? $requestHeaders));
    }
    if ($maxAge !== null) {
        header('Access-Control-Max-Age: ' . $maxAge);
    }
    // Preflights are answered here; the app never sees them.
    http_response_code($preflightStatus);
    exit;
})();
"#;

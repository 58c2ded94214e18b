//! Go `net/http`, standard library only: `WithCORS(next http.Handler) http.Handler` in a
//! `cors.go`. It writes the headers into `w.Header()` before calling `next`, so whatever status
//! the handler writes (a 500 from `http.Error` included) carries them. A handler that panics gets
//! no answer at all from `net/http` (the connection is closed), so there is nothing to add to.

use crate::plan::Plan;
use crate::Part;

/// A Go interpreted string literal (origins and tokens: printable ASCII).
fn go(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A Go `map[string]bool` literal used as a set, or `nil` for "any".
fn go_set(items: Option<&[String]>) -> String {
    match items {
        None => "map[string]bool(nil)".to_owned(),
        Some(items) => {
            let entries: Vec<String> = items.iter().map(|i| format!("{}: true", go(i))).collect();
            format!("map[string]bool{{{}}}", entries.join(", "))
        }
    }
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("// corsair snippet for Go net/http (standard library only): save as cors.go beside main.go\n");
    s.push_str("// (change the package line to yours) and wrap the whole handler, so every route and every\n");
    s.push_str("// status gets the headers:\n//\n");
    s.push_str("//\thttp.ListenAndServe(addr, WithCORS(mux))\n//\n");
    s.push_str("// Remove other CORS middleware (rs/cors, gorilla/handlers.CORS): two would double the headers.\n");
    s.push_str(&crate::warning_comments("//", plan, &[]));
    s.push_str("package main\n\nimport (\n\t\"net/http\"\n\t\"regexp\"\n\t\"strings\"\n)\n\n");
    s.push_str("// Exact origins, compared byte for byte before any pattern.\n");
    s.push_str(&format!("var corsAllowedOrigins = {}\n\n", go_set(Some(&plan.exact))));
    s.push_str("// Patterns, anchored, dots escaped.\nvar corsAllowedOriginPatterns = []*regexp.Regexp{");
    for (source, re) in &plan.regexes {
        s.push_str(&format!("\n\t// {source}\n\tregexp.MustCompile(`{re}`),"));
    }
    s.push_str(if plan.regexes.is_empty() { "}\n\n" } else { "\n}\n\n" });
    // One declaration a line, comments above: what gofmt leaves as it is.
    let mut constant = |name: &str, value: String, comment: &str| {
        if !comment.is_empty() {
            s.push_str(&format!("\n// {comment}\n"));
        }
        s.push_str(&format!("const {name} = {value}\n"));
    };
    constant("corsAnyOrigin", (plan.star || plan.any_echoed).to_string(), "");
    constant("corsStar", plan.star.to_string(), "Answer `*`: any origin, no credentials.");
    constant("corsCredentials", plan.credentials.to_string(), "");
    constant(
        "corsAnyHeaderCoversAuthorization",
        (plan.headers.is_none() && plan.any_header_authorization).to_string(),
        "",
    );
    let opt = |v: Option<&str>| v.map_or("\"\"".to_owned(), go);
    constant("corsAllowMethods", opt(plan.allow_methods_value.as_deref()), "\"\": name the requested method back.");
    constant("corsAllowHeaders", opt(plan.allow_headers_value.as_deref()), "\"\": name the requested headers back.");
    constant("corsExposeHeaders", opt(plan.expose_value.as_deref()), "");
    constant("corsMaxAge", opt(plan.max_age.map(|a| a.to_string()).as_deref()), "");
    constant("corsPreflightStatus", plan.preflight_status.to_string(), "");
    constant("corsRefusedPreflightStatus", plan.refused_preflight_status.to_string(), "");
    constant(
        "corsRefusedActualStatus",
        plan.refused_actual_status.unwrap_or(0).to_string(),
        "0: let the handler answer, without CORS headers.",
    );
    s.push('\n');
    s.push_str("// Methods a preflight may ask for (nil: any); GET, HEAD and POST always may.\n");
    s.push_str(&format!("var corsPreflightMethods = {}\n\n", go_set(plan.preflight_methods().as_deref())));
    s.push_str("// Lower-case header names a preflight may ask for (nil: any).\n");
    s.push_str(&format!("var corsPreflightHeaders = {}\n", go_set(plan.headers.as_deref())));
    s.push_str(CODE);
    (vec![Part { place: "cors.go".to_owned(), text: s }], Vec::new())
}

const CODE: &str = r#"
func corsOriginAllowed(origin string) bool {
	if corsAllowedOrigins[origin] || corsAnyOrigin {
		return true
	}
	for _, re := range corsAllowedOriginPatterns {
		if re.MatchString(origin) {
			return true
		}
	}
	return false
}

func corsHeaderNames(value string) []string {
	var names []string
	for _, n := range strings.Split(value, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func corsPreflightAllowed(method, headers string) bool {
	if corsPreflightMethods != nil && !corsPreflightMethods[method] {
		return false
	}
	for _, n := range corsHeaderNames(headers) {
		if corsPreflightHeaders != nil {
			if !corsPreflightHeaders[n] {
				return false
			}
		} else if n == "authorization" && !corsAnyHeaderCoversAuthorization {
			return false
		}
	}
	return true
}

// WithCORS answers preflights itself and adds the CORS headers to every answer next gives.
func WithCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if !corsStar {
			h.Add("Vary", "Origin")
		}
		origins, hasOrigin := r.Header["Origin"]
		if !hasOrigin {
			next.ServeHTTP(w, r)
			return
		}
		origin := origins[0]
		_, hasRequestMethod := r.Header["Access-Control-Request-Method"]
		requestMethod := r.Header.Get("Access-Control-Request-Method")
		requestHeaders := strings.Join(r.Header.Values("Access-Control-Request-Headers"), ",")
		preflight := r.Method == http.MethodOptions && hasRequestMethod
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
		}
		if !corsOriginAllowed(origin) || (preflight && !corsPreflightAllowed(requestMethod, requestHeaders)) {
			switch {
			case preflight:
				w.WriteHeader(corsRefusedPreflightStatus)
			case corsRefusedActualStatus != 0:
				w.WriteHeader(corsRefusedActualStatus)
			default:
				next.ServeHTTP(w, r) // no CORS headers: the browser blocks the read
			}
			return
		}
		if corsStar {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if corsCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if !preflight {
			if corsExposeHeaders != "" {
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			next.ServeHTTP(w, r)
			return
		}
		if corsAllowMethods != "" {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		} else {
			h.Set("Access-Control-Allow-Methods", requestMethod)
		}
		if len(corsHeaderNames(requestHeaders)) > 0 {
			if corsAllowHeaders != "" {
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			} else {
				h.Set("Access-Control-Allow-Headers", requestHeaders)
			}
		}
		if corsMaxAge != "" {
			h.Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.WriteHeader(corsPreflightStatus)
	})
}
"#;

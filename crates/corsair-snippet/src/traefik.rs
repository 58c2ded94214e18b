//! Traefik: a `headers` Middleware (Kubernetes CRD form; the same keys work in the file
//! provider). Exact origins go in `accessControlAllowOriginList`; patterns become anchored Go
//! regexes in `accessControlAllowOriginListRegex` (Traefik matches them unanchored, so the
//! anchors are ours). Traefik answers preflights with the configured lists whatever was asked,
//! and sends `Access-Control-Max-Age: 0` when none is set. Golden-only.

use crate::golden::{dq, dq_list, Grant};
use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut warnings = Vec::new();
    crate::golden::refusal_warning(plan, "Traefik", &mut warnings);
    if plan.any_echoed {
        warnings.push("* with credentials: Traefik may answer `*` (older releases do), which browsers refuse with credentials; list the origins".to_owned());
    }
    let mut s =
        String::from("# corsair snippet for Traefik (golden-only: not run here): a headers Middleware; attach it to\n");
    s.push_str("# the router (middlewares: [cors]). Traefik overwrites the CORS headers the service sends.\n");
    s.push_str(&crate::warning_comments("#", plan, &warnings));
    s.push_str("apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: cors\nspec:\n  headers:\n");
    if plan.star || plan.any_echoed {
        s.push_str(&format!("    accessControlAllowOriginList: [{}]\n", dq("*")));
    } else {
        if !plan.exact.is_empty() {
            s.push_str(&format!("    accessControlAllowOriginList: [{}]\n", dq_list(&plan.exact)));
        }
        if !plan.regexes.is_empty() {
            s.push_str("    accessControlAllowOriginListRegex:\n");
            for (source, re) in &plan.regexes {
                // Single-quoted YAML keeps the backslashes as written.
                s.push_str(&format!("      - '{re}'  # {source}\n"));
            }
        }
    }
    s.push_str(&crate::golden::grant_lines(plan, |grant, list| {
        let key = match grant {
            Grant::Methods => "accessControlAllowMethods",
            Grant::Headers => "accessControlAllowHeaders",
            Grant::Exposed => "accessControlExposeHeaders",
        };
        format!("    {key}: [{}]\n", dq_list(list))
    }));
    if plan.credentials {
        s.push_str("    accessControlAllowCredentials: true\n");
    }
    if let Some(age) = plan.max_age {
        s.push_str(&format!("    accessControlMaxAge: {age}\n"));
    }
    if !plan.star {
        s.push_str("    addVaryHeader: true  # Vary: Origin, off by default\n");
    }
    (vec![Part { place: "Traefik Middleware (Kubernetes CRD)".to_owned(), text: s }], warnings)
}

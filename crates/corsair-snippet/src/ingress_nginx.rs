//! Kubernetes ingress-nginx: the `nginx.ingress.kubernetes.io/*cors*` annotations of the Ingress.
//! Its origin list takes exact origins and one-label wildcards (`https://*.example.com` matches
//! `a.example.com`, not `a.b.example.com`), no port patterns; credentials default to `true`, so
//! the annotation is always written. The controller answers preflights with the configured lists
//! whatever was asked (the browser still refuses what they do not name). Golden-only.

use crate::golden::{methods, patterns};
use crate::plan::Plan;
use crate::Part;

const PREFIX: &str = "nginx.ingress.kubernetes.io";

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut warnings = Vec::new();
    crate::golden::refusal_warning(plan, "ingress-nginx", &mut warnings);
    let mut origins: Vec<String> = Vec::new();
    if plan.star || plan.any_echoed {
        origins.push("*".to_owned());
        if plan.any_echoed {
            warnings.push("* with credentials: ingress-nginx answers `*`, which browsers refuse with credentials; list the origins".to_owned());
        }
    } else {
        origins.extend(plan.exact.iter().cloned());
        for p in patterns(plan) {
            if p.any_port {
                warnings.push(format!("{}: ingress-nginx has no port patterns; list each port's origin", p.text));
            } else {
                warnings.push(format!(
                    "{}: ingress-nginx matches one label only (a.example.com, not a.b.example.com)",
                    p.text
                ));
                origins.push(p.text.to_owned());
            }
        }
    }
    if plan.methods.is_none() {
        warnings.push("allow_methods = *: ingress-nginx takes a list; its default list is written".to_owned());
    }
    if plan.headers.is_none() {
        warnings.push(
            "allow_headers = *: ingress-nginx takes a list; its default list is written, add the names the pages send"
                .to_owned(),
        );
    }
    let mut s =
        String::from("# corsair snippet for Kubernetes ingress-nginx (golden-only: not run here): the Ingress's\n");
    s.push_str("# metadata.annotations. Remove CORS headers the service adds itself (both would go out) and\n");
    s.push_str("# configuration-snippet lines that add Access-Control-* headers.\n");
    s.push_str(&crate::warning_comments("#", plan, &warnings));
    s.push_str("metadata:\n  annotations:\n");
    let mut annotation = |name: &str, value: &str| s.push_str(&format!("    {PREFIX}/{name}: \"{value}\"\n"));
    annotation("enable-cors", "true");
    annotation("cors-allow-origin", &origins.join(", "));
    let m = methods(plan).map_or("GET, PUT, POST, DELETE, PATCH, OPTIONS".to_owned(), |m| m.join(", "));
    annotation("cors-allow-methods", &m);
    match &plan.headers {
        Some(h) if !h.is_empty() => annotation("cors-allow-headers", &h.join(", ")),
        Some(_) => {}
        None => annotation(
            "cors-allow-headers",
            "DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control, Content-Type, Range, Authorization",
        ),
    }
    if let Some(e) = &plan.expose_value {
        annotation("cors-expose-headers", &e.replace(',', ", "));
    }
    // Written either way: the controller's default is "true".
    annotation("cors-allow-credentials", if plan.credentials { "true" } else { "false" });
    match plan.max_age {
        Some(age) => annotation("cors-max-age", &age.to_string()),
        None => s.push_str("    # cors-max-age unset: ingress-nginx sends 1728000 (browsers cap it at 2 hours)\n"),
    }
    (vec![Part { place: "Ingress, metadata.annotations".to_owned(), text: s }], warnings)
}

//! Laravel: `config/cors.php`, read by the framework's `HandleCors` middleware (built in since
//! Laravel 9.2, global by default). Exact origins go to `allowed_origins`; patterns to
//! `allowed_origins_patterns` as anchored PCRE (`\z` at the end: `$` would accept a trailing
//! newline). Golden-only.

use crate::golden::{end_anchored, methods};
use crate::plan::Plan;
use crate::Part;

/// A single-quoted PHP string: backslashes stay as written (PHP keeps `\.` and `\z`), and
/// `$` is not interpolated.
fn sq(text: &str) -> String {
    format!("'{}'", text.replace('\'', "\\'"))
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut warnings = Vec::new();
    crate::golden::refusal_warning(plan, "Laravel", &mut warnings);
    let mut s = String::from(
        "<?php\n\n// corsair snippet for Laravel (golden-only: not run here): config/cors.php. Keep HandleCors in\n",
    );
    s.push_str("// the global middleware (bootstrap/app.php or app/Http/Kernel.php); remove other CORS\n");
    s.push_str("// middleware and header() calls that set Access-Control-*. Then: php artisan config:clear.\n");
    s.push_str(&crate::warning_comments("//", plan, &warnings));
    s.push_str("return [\n    'paths' => ['*'], // or your API's paths, e.g. ['api/*']\n");
    let list = |items: &[String]| format!("[{}]", items.iter().map(|i| sq(i)).collect::<Vec<_>>().join(", "));
    let star = vec!["*".to_owned()];
    s.push_str(&format!("    'allowed_methods' => {},\n", list(methods(plan).as_ref().unwrap_or(&star))));
    if plan.star || plan.any_echoed {
        s.push_str("    'allowed_origins' => ['*'],\n    'allowed_origins_patterns' => [],\n");
    } else {
        s.push_str(&format!("    'allowed_origins' => {},\n", list(&plan.exact)));
        let pats: Vec<String> = plan.regexes.iter().map(|(_, re)| format!("#{}#", end_anchored(re))).collect();
        s.push_str(&format!("    'allowed_origins_patterns' => {},\n", list(&pats)));
    }
    s.push_str(&format!("    'allowed_headers' => {},\n", list(plan.headers.as_ref().unwrap_or(&star))));
    let exposed = crate::golden::exposed(plan);
    s.push_str(&format!("    'exposed_headers' => {},\n", list(&exposed)));
    s.push_str(&format!("    'max_age' => {},\n", plan.max_age.unwrap_or(0)));
    s.push_str(&format!("    'supports_credentials' => {},\n];\n", plan.credentials));
    (vec![Part { place: "config/cors.php".to_owned(), text: s }], warnings)
}

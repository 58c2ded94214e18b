//! AWS API Gateway, HTTP APIs: the `x-amazon-apigateway-cors` object of the API's OpenAPI
//! definition (the same settings as the console's CORS page). API Gateway answers preflights
//! itself and ignores the CORS headers the integration returns. Its origins are exact, `*`, or a
//! scheme followed by `*`: no subdomain or port patterns. REST APIs configure CORS per method
//! instead (an OPTIONS mock integration); this is for HTTP APIs. Golden-only.

use crate::golden::{dq_list, patterns, Grant};
use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut warnings = Vec::new();
    crate::golden::refusal_warning(plan, "API Gateway", &mut warnings);
    let origins: Vec<String> = if plan.star || plan.any_echoed {
        vec!["*".to_owned()]
    } else {
        for p in patterns(plan) {
            warnings.push(format!(
                "{}: API Gateway has no subdomain or port patterns; list each origin in allowOrigins",
                p.text
            ));
        }
        plan.exact.clone()
    };
    if plan.any_echoed {
        warnings.push(
            "* with credentials: API Gateway answers `*`, which browsers refuse with credentials; list the origins"
                .to_owned(),
        );
    }
    let mut s =
        String::from("# corsair snippet for AWS API Gateway HTTP APIs (golden-only: not run here): the root-level\n");
    s.push_str("# x-amazon-apigateway-cors object of the API's OpenAPI definition (or the same values on the\n");
    s.push_str("# console's CORS page). API Gateway then answers preflights itself and ignores CORS headers from\n");
    s.push_str("# the integration: remove the app's own, or they are dropped anyway. An authorizer on $default\n");
    s.push_str("# or ANY routes also sees OPTIONS: add an OPTIONS route without one.\n");
    s.push_str(&crate::warning_comments("#", plan, &warnings));
    s.push_str("x-amazon-apigateway-cors:\n");
    s.push_str(&format!("  allowOrigins: [{}]\n", dq_list(&origins)));
    if plan.credentials {
        s.push_str("  allowCredentials: true\n");
    }
    s.push_str(&crate::golden::grant_lines(plan, |grant, list| {
        let key = match grant {
            Grant::Methods => "allowMethods",
            Grant::Headers => "allowHeaders",
            Grant::Exposed => "exposeHeaders",
        };
        format!("  {key}: [{}]\n", dq_list(list))
    }));
    if let Some(age) = plan.max_age {
        s.push_str(&format!("  maxAge: {age}\n"));
    }
    (vec![Part { place: "openapi.yaml, root level".to_owned(), text: s }], warnings)
}

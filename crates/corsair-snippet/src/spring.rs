//! Spring Boot (Spring MVC): a `WebMvcConfigurer` whose `addCorsMappings` registers the policy
//! for every path. Spring checks the origin, the method and the requested headers and refuses a
//! preflight with 403 (and an actual request from an origin it does not allow). Exact origins go to `allowedOrigins`; patterns to `allowedOriginPatterns`
//! (`https://*.example.com`, and `[*]` for any port), which never answer `*`, so they work with
//! credentials. Golden-only.

use crate::golden::{dq, dq_list, patterns, Grant};
use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let warnings = Vec::new();
    let mut s = String::from("// corsair snippet for Spring Boot, Spring MVC (golden-only: not run here): save as\n");
    s.push_str("// CorsConfig.java in a package the application scans. With Spring Security, also call\n");
    s.push_str("// http.cors(Customizer.withDefaults()) so preflights pass before authentication. Remove\n");
    s.push_str("// @CrossOrigin annotations and filters that set Access-Control-* headers.\n");
    s.push_str(&crate::warning_comments("//", plan, &warnings));
    s.push_str("package com.example.config; // your package\n\n");
    s.push_str("import org.springframework.context.annotation.Configuration;\n");
    s.push_str("import org.springframework.web.servlet.config.annotation.CorsRegistry;\n");
    s.push_str("import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;\n\n");
    s.push_str("@Configuration\npublic class CorsConfig implements WebMvcConfigurer {\n");
    s.push_str("    @Override\n    public void addCorsMappings(CorsRegistry registry) {\n");
    s.push_str("        registry.addMapping(\"/**\")\n");
    if plan.star {
        s.push_str(&format!("            .allowedOrigins({})\n", dq("*")));
    } else if plan.any_echoed {
        s.push_str("            // * with credentials: a pattern, so Spring names the origin back\n");
        s.push_str(&format!("            .allowedOriginPatterns({})\n", dq("*")));
    } else {
        if !plan.exact.is_empty() {
            s.push_str(&format!("            .allowedOrigins({})\n", dq_list(&plan.exact)));
        }
        let spring: Vec<String> = patterns(plan)
            .iter()
            .map(|p| if p.any_port { format!("{}[*]", p.text.trim_end_matches('*')) } else { p.text.to_owned() })
            .collect();
        if !spring.is_empty() {
            s.push_str(&format!("            .allowedOriginPatterns({})\n", dq_list(&spring)));
        }
    }
    s.push_str(&crate::golden::grant_lines(plan, |grant, list| {
        let method = match grant {
            Grant::Methods => "allowedMethods",
            Grant::Headers => "allowedHeaders",
            Grant::Exposed => "exposedHeaders",
        };
        format!("            .{method}({})\n", dq_list(list))
    }));
    s.push_str(&format!("            .allowCredentials({})\n", plan.credentials));
    match plan.max_age {
        Some(age) => s.push_str(&format!("            .maxAge({age});\n")),
        None => s.push_str("            ; // maxAge unset: Spring sends 1800\n"),
    }
    s.push_str("    }\n}\n");
    (vec![Part { place: "CorsConfig.java".to_owned(), text: s }], warnings)
}

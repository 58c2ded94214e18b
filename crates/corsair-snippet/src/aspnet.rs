//! ASP.NET Core: a named policy added with `AddCors` and applied with `UseCors`. Exact origins
//! are compared as written; patterns are checked by code (`SetIsOriginAllowed` with the anchored
//! regexes, `\z` at the end), since `SetIsOriginAllowedToAllowWildcardSubdomains` has no port
//! patterns. The middleware answers preflights itself. Golden-only.

use crate::golden::{dq, dq_list, end_anchored, Grant};
use crate::plan::Plan;
use crate::Part;

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut warnings = Vec::new();
    crate::golden::refusal_warning(plan, "ASP.NET Core", &mut warnings);
    let mut s =
        String::from("// corsair snippet for ASP.NET Core (golden-only: not run here): in Program.cs. Remove other\n");
    s.push_str("// AddCors policies and [EnableCors] attributes that would apply instead, and middleware that\n");
    s.push_str("// sets Access-Control-* headers.\n");
    s.push_str(&crate::warning_comments("//", plan, &warnings));
    if !plan.star && !plan.any_echoed {
        s.push_str("using System.Text.RegularExpressions;\n\n");
        s.push_str(&format!("string[] corsOrigins = {{ {} }};\n", dq_list(&plan.exact)));
        let res: Vec<String> = plan
            .regexes
            .iter()
            .map(|(source, re)| {
                format!("\n    new Regex(@\"{}\", RegexOptions.CultureInvariant), // {source}", end_anchored(re))
            })
            .collect();
        s.push_str(&format!(
            "Regex[] corsPatterns = {{{}{}}};\n\n",
            res.concat(),
            if res.is_empty() { " " } else { "\n" }
        ));
    }
    s.push_str("builder.Services.AddCors(options =>\n{\n    options.AddPolicy(\"corsair\", policy => policy\n");
    if plan.star {
        s.push_str("        .AllowAnyOrigin()\n");
    } else if plan.any_echoed {
        s.push_str("        .SetIsOriginAllowed(_ => true) // * with credentials: every origin is named back\n");
    } else {
        s.push_str("        .SetIsOriginAllowed(origin => Array.IndexOf(corsOrigins, origin) >= 0\n");
        s.push_str("            || Array.Exists(corsPatterns, p => p.IsMatch(origin)))\n");
    }
    s.push_str(&crate::golden::grant_lines(plan, |grant, list| {
        let any = list == ["*"];
        match grant {
            Grant::Methods if any => "        .AllowAnyMethod()\n".to_owned(),
            Grant::Headers if any => "        .AllowAnyHeader()\n".to_owned(),
            Grant::Methods => format!("        .WithMethods({})\n", dq_list(list)),
            Grant::Headers => format!("        .WithHeaders({})\n", dq_list(list)),
            Grant::Exposed => format!("        .WithExposedHeaders({})\n", dq_list(list)),
        }
    }));
    if plan.credentials {
        s.push_str("        .AllowCredentials()\n");
    }
    if let Some(age) = plan.max_age {
        s.push_str(&format!("        .SetPreflightMaxAge(TimeSpan.FromSeconds({age}))\n"));
    }
    s.push_str(
        "    );\n});\n\n// After builder.Build(): after UseRouting, before UseAuthentication and UseAuthorization.\n",
    );
    s.push_str(&format!("app.UseCors({});\n", dq("corsair")));
    (vec![Part { place: "Program.cs".to_owned(), text: s }], warnings)
}

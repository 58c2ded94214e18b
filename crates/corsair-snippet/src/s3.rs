//! AWS S3 bucket CORS: the `CORSRules` JSON the console and `aws s3api put-bucket-cors` take.
//! S3 checks the origin, the method and each requested header itself (a refused preflight gets
//! 403), but it has no credentials setting (it sends `Access-Control-Allow-Credentials: true` to
//! every origin a rule names), only five methods, and one `*` per origin that matches any text.
//! Golden-only: S3 does not run here.

use crate::golden::{dq, dq_list, origin_texts, patterns};
use crate::plan::Plan;
use crate::Part;

const S3_METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut warnings = Vec::new();
    crate::golden::refusal_warning(plan, "S3", &mut warnings);
    if !plan.credentials && !plan.star {
        warnings.push("allow_credentials = false: S3 has no credentials setting; it answers listed origins with Access-Control-Allow-Credentials: true".to_owned());
    }
    let methods: Vec<String> = match crate::golden::methods(plan) {
        None => S3_METHODS.iter().map(|m| (*m).to_owned()).collect(),
        Some(list) => {
            let (kept, dropped): (Vec<String>, Vec<String>) =
                list.into_iter().partition(|m| S3_METHODS.contains(&m.as_str()));
            if !dropped.is_empty() {
                warnings
                    .push(format!("methods {}: S3 allows only GET, PUT, POST, DELETE and HEAD", dropped.join(", ")));
            }
            kept
        }
    };
    if plan.methods.is_none() {
        warnings
            .push("allow_methods = *: S3 lists its five methods (GET, PUT, POST, DELETE, HEAD), no others".to_owned());
    }
    for p in patterns(plan) {
        if p.any_port {
            warnings.push(format!("{}: S3's `*` needs the `:`; the origin without a port is not matched", p.text));
        }
    }
    let mut notes =
        String::from("# corsair snippet for AWS S3 bucket CORS (golden-only: S3 does not run here). Apply it with\n");
    notes.push_str("#     aws s3api put-bucket-cors --bucket BUCKET --cors-configuration file://cors.json\n");
    notes
        .push_str("# (or paste cors.json into the console: Bucket -> Permissions -> CORS). It replaces the bucket's\n");
    notes.push_str("# whole CORS configuration: merge the rules you keep into it first.\n");
    notes.push_str(&crate::warning_comments("#", plan, &warnings));

    let mut j = String::from("{\n  \"CORSRules\": [\n    {\n");
    j.push_str("      \"ID\": \"corsair\",\n");
    j.push_str(&format!("      \"AllowedOrigins\": [{}],\n", dq_list(&origin_texts(plan))));
    j.push_str(&format!("      \"AllowedMethods\": [{}],\n", dq_list(&methods)));
    match &plan.headers {
        Some(h) if !h.is_empty() => j.push_str(&format!("      \"AllowedHeaders\": [{}],\n", dq_list(h))),
        Some(_) => {}
        None => j.push_str(&format!("      \"AllowedHeaders\": [{}],\n", dq("*"))),
    }
    let names = crate::golden::exposed(plan);
    if !names.is_empty() {
        j.push_str(&format!("      \"ExposeHeaders\": [{}],\n", dq_list(&names)));
    }
    if let Some(age) = plan.max_age {
        j.push_str(&format!("      \"MaxAgeSeconds\": {age},\n"));
    }
    // No trailing comma: drop the last one.
    if j.ends_with(",\n") {
        j.truncate(j.len() - 2);
        j.push('\n');
    }
    j.push_str("    }\n  ]\n}\n");
    let parts = vec![
        Part { place: "notes and the command that applies cors.json".to_owned(), text: notes },
        Part { place: "cors.json".to_owned(), text: j },
    ];
    (parts, warnings)
}

// The policies the fuzz bodies and the property tests throw arbitrary requests at: credentials
// with exact, subdomain, port-wildcard and IPv6 origins (plus 100 more exact ones), `*`
// everything, a dangerous credentialed `null` + `*` echo, and `*` next to a listed origin.
// Included by `bodies/decide.rs` and by `tests/properties.rs`.

fn test_policies() -> Vec<corsair_core::Policy> {
    use corsair_core::Policy;
    let build = |b: corsair_core::PolicyBuilder| b.build().expect("a valid test policy");
    vec![
        build(
            Policy::builder()
                .allow_origins([
                    "https://app.example.com",
                    "https://*.example.com",
                    "http://localhost:*",
                    "http://[::1]:8080",
                ])
                .allow_origins((0..100).map(|i| format!("https://app{i}.example.net")))
                .allow_methods(["PUT", "patch"])
                .allow_headers(["content-type", "x-a", "authorization"])
                .expose_headers(["etag"])
                .allow_credentials(true)
                .max_age(600),
        ),
        build(Policy::builder().allow_origin("*").allow_methods(["*"]).allow_headers(["*"]).expose_headers(["*"])),
        build(
            Policy::builder()
                .allow_origins(["https://app.example.com", "null", "http://127.0.0.1:*"])
                .allow_methods(["*"])
                .allow_headers(["*"])
                .allow_credentials(true)
                .allow_private_network(true)
                .dangerously_allow_null(true),
        ),
        build(Policy::builder().allow_origins(["*", "https://app.example.com"]).allow_headers(["*", "authorization"])),
    ]
}

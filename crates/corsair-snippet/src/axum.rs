//! axum + corsair-tower: the policy as a policy file (the same validation at start-up that
//! produced it here) and the few lines that load it into the layer.

use corsair_core::Policy;

use crate::Part;

pub(crate) fn render(policy: &Policy) -> (Vec<Part>, Vec<String>) {
    let toml = format!("# corsair policy file for corsair-tower (loaded by the code below).\n{}", policy.to_toml());
    let code = r#"// corsair snippet for axum + corsair-tower (cargo add corsair-core corsair-tower).
// The layer answers preflights itself and adds the headers to every response, errors included:
// add it last (outermost), after routes and any auth layer. It replaces tower-http's CorsLayer:
// remove that one (two layers send each header twice); the origins, methods and headers it
// allowed go into cors.toml's lists, or they stop passing.
use corsair_core::PolicyFile;
use corsair_tower::CorsLayer;

fn cors_layer() -> Result<CorsLayer, corsair_core::ConfigErrors> {
    let file = PolicyFile::parse("cors.toml", include_str!("cors.toml"))?;
    let policy = file.policy(None, |name| std::env::var(name).ok())?;
    Ok(CorsLayer::new(policy))
}

// let app = axum::Router::new().route("/", get(handler)).layer(cors_layer()?);
"#;
    let parts = vec![
        Part { place: "cors.toml".to_owned(), text: toml },
        Part { place: "src/cors.rs".to_owned(), text: code.to_owned() },
    ];
    (parts, Vec::new())
}

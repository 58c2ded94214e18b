// corsair snippet for axum + corsair-tower (cargo add corsair-core corsair-tower).
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

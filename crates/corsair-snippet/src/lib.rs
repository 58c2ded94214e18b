//! A validated [`Policy`] written as config or code for the server a user already runs.
//!
//! Every stack module implements the whole policy: the exact allow-list is checked before the
//! request's origin is echoed (never a blind reflection), patterns become anchored regexes with
//! escaped dots, `Vary: Origin` is always sent, preflights are checked against the allowed
//! methods and headers, and CORS headers reach error responses too. What a stack cannot say
//! becomes a comment in the snippet and a [`Snippet::warnings`] entry.
//!
//! ```
//! use corsair_core::Policy;
//! use corsair_snippet::{render, Stack};
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com", "https://*.example.com"])
//!     .allow_methods(["GET", "PUT"])
//!     .build()
//!     .unwrap();
//! let snippet = render(&policy, Stack::Nginx);
//! let text = snippet.to_string();
//! assert!(text.contains(r#""~^https://(?:[a-z0-9-]+\.)+example\.com$""#));
//! assert!(text.contains("always"));
//! assert!(snippet.warnings.is_empty());
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

use corsair_core::Policy;

mod apache;
mod api_gateway;
mod appwrite;
mod aspnet;
mod axum;
mod caddy;
mod cloudflare;
mod django;
mod express;
mod fastify;
mod flask;
mod go;
mod golden;
mod haproxy;
mod ingress_nginx;
mod javascript;
mod laravel;
mod nginx;
mod node;
mod php;
mod plan;
mod python;
mod rack;
mod s3;
mod spring;
mod starlette;
mod traefik;

/// A server stack a policy can be written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stack {
    /// nginx, `map` blocks plus `add_header ... always` in the `server` block.
    Nginx,
    /// Express with the `cors` package, behind a check that refuses before `cors` echoes.
    Express,
    /// Flask with `before_request`/`after_request` hooks.
    Flask,
    /// Django with one middleware first in `MIDDLEWARE`.
    Django,
    /// Starlette or FastAPI, the app wrapped in a plain ASGI middleware.
    Starlette,
    /// An Appwrite Function (Node.js runtime), its default export wrapped.
    Appwrite,
    /// axum with `corsair-tower`, the policy as a `corsair` policy file.
    Axum,
    /// Apache httpd 2.4: `SetEnvIf`, `Header always` and `RewriteRule` in the virtual host.
    Apache,
    /// Caddy 2: `map` directives, `vars` matchers and a `route` the site's handlers move into.
    Caddy,
    /// Go `net/http`, standard library only: a `WithCORS(next http.Handler)` wrapper.
    Go,
    /// PHP: a `cors.php` the entry point requires first.
    Php,
    /// Node's `http` module, no packages: `withCors(handler)` around the request listener.
    Node,
    /// Fastify: an `onRequest` hook on the root instance (not `@fastify/cors`).
    Fastify,
    /// HAProxy 2.2+: `http-request` variables and `http-after-response` headers in the frontend.
    Haproxy,
    /// Rack (Sinatra, Rails, plain Rack): a `CorsPolicy` middleware used first.
    Rack,
    /// Cloudflare Workers: a module Worker around the handler (golden-only).
    CloudflareWorkers,
    /// AWS S3 bucket CORS, the `CORSRules` JSON (golden-only).
    S3,
    /// AWS API Gateway HTTP APIs, `x-amazon-apigateway-cors` (golden-only).
    ApiGateway,
    /// Spring Boot (Spring MVC), a `WebMvcConfigurer` (golden-only).
    Spring,
    /// ASP.NET Core, `AddCors` and `UseCors` in Program.cs (golden-only).
    AspNet,
    /// Laravel, `config/cors.php` (golden-only).
    Laravel,
    /// Kubernetes ingress-nginx annotations (golden-only).
    IngressNginx,
    /// Traefik, a `headers` Middleware (golden-only).
    Traefik,
}

impl Stack {
    /// Every stack, in `--list` order.
    pub const ALL: [Stack; 23] = [
        Stack::Nginx,
        Stack::Express,
        Stack::Flask,
        Stack::Django,
        Stack::Starlette,
        Stack::Appwrite,
        Stack::Axum,
        Stack::Apache,
        Stack::Caddy,
        Stack::Go,
        Stack::Php,
        Stack::Node,
        Stack::Fastify,
        Stack::Haproxy,
        Stack::Rack,
        Stack::CloudflareWorkers,
        Stack::S3,
        Stack::ApiGateway,
        Stack::Spring,
        Stack::AspNet,
        Stack::Laravel,
        Stack::IngressNginx,
        Stack::Traefik,
    ];

    /// Whether the tests run this stack's snippet in the real server; the others are checked
    /// against golden files only (their servers are cloud services or do not install here).
    pub fn run_verified(self) -> bool {
        !matches!(
            self,
            Stack::CloudflareWorkers
                | Stack::S3
                | Stack::ApiGateway
                | Stack::Spring
                | Stack::AspNet
                | Stack::Laravel
                | Stack::IngressNginx
                | Stack::Traefik
        )
    }

    /// The name `--for` takes.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Nginx => "nginx",
            Stack::Express => "express",
            Stack::Flask => "flask",
            Stack::Django => "django",
            Stack::Starlette => "starlette",
            Stack::Appwrite => "appwrite",
            Stack::Axum => "axum",
            Stack::Apache => "apache",
            Stack::Caddy => "caddy",
            Stack::Go => "go",
            Stack::Php => "php",
            Stack::Node => "node",
            Stack::Fastify => "fastify",
            Stack::Haproxy => "haproxy",
            Stack::Rack => "rack",
            Stack::CloudflareWorkers => "cloudflare-workers",
            Stack::S3 => "s3",
            Stack::ApiGateway => "api-gateway",
            Stack::Spring => "spring",
            Stack::AspNet => "aspnet",
            Stack::Laravel => "laravel",
            Stack::IngressNginx => "ingress-nginx",
            Stack::Traefik => "traefik",
        }
    }

    /// One line about what the snippet is and how it is verified.
    pub fn description(self) -> &'static str {
        match self {
            Stack::Nginx => {
                "nginx: map blocks (http) and add_header ... always (server); run-verified with Debian's nginx"
            }
            Stack::Express => {
                "Express + cors (npm): a middleware to mount before routes; run-verified with express 4 and cors 2.8"
            }
            Stack::Flask => "Flask: before_request/after_request hooks; run-verified with Flask 3",
            Stack::Django => "Django: a middleware first in MIDDLEWARE; run-verified with Django 5.2",
            Stack::Starlette => {
                "Starlette / FastAPI: an ASGI wrapper around the app; run-verified with Starlette 1.10 under uvicorn"
            }
            Stack::Appwrite => {
                "Appwrite Function (Node.js): a wrapper around the default export; run-verified in Node 20 under a harness with Appwrite's req/res"
            }
            Stack::Axum => {
                "axum + corsair-tower: a policy file and the layer that loads it; run-verified with axum 0.8"
            }
            Stack::Apache => {
                "Apache httpd: SetEnvIf, Header always and RewriteRule for the virtual host; run-verified with Debian's apache2 2.4"
            }
            Stack::Caddy => {
                "Caddy: map directives and a route for the site block; run-verified with Debian's caddy 2.6"
            }
            Stack::Go => "Go net/http: a WithCORS(next) wrapper, standard library only; run-verified with Go 1.19",
            Stack::Php => {
                "PHP: a cors.php the entry point requires first; run-verified with PHP 8.2's built-in server"
            }
            Stack::Node => "Node http (no packages): a withCors(handler) wrapper; run-verified with Node 20",
            Stack::Fastify => "Fastify: an onRequest hook on the root instance; run-verified with fastify 5.12",
            Stack::Haproxy => {
                "HAProxy: http-request variables and http-after-response headers for the frontend; run-verified with Debian's haproxy 2.6"
            }
            Stack::Rack => {
                "Rack (Sinatra, Rails): a middleware to use first; run-verified with Rack 2.2 under WEBrick (rackup)"
            }
            Stack::CloudflareWorkers => {
                "Cloudflare Workers: a module Worker around the handler; golden-only (not run here)"
            }
            Stack::S3 => "AWS S3 bucket CORS: the CORSRules JSON; golden-only (not run here)",
            Stack::ApiGateway => {
                "AWS API Gateway HTTP APIs: x-amazon-apigateway-cors; golden-only (not run here)"
            }
            Stack::Spring => "Spring Boot (Spring MVC): a WebMvcConfigurer; golden-only (not run here)",
            Stack::AspNet => "ASP.NET Core: AddCors and UseCors in Program.cs; golden-only (not run here)",
            Stack::Laravel => "Laravel: config/cors.php; golden-only (not run here)",
            Stack::IngressNginx => {
                "Kubernetes ingress-nginx: the Ingress's CORS annotations; golden-only (not run here)"
            }
            Stack::Traefik => "Traefik: a headers Middleware; golden-only (not run here)",
        }
    }

    /// The stack named `name` (case-insensitive), if there is one. `fastapi` is Starlette: a
    /// FastAPI app is a Starlette app, and the same wrapper serves both.
    pub fn from_name(name: &str) -> Option<Stack> {
        if name.eq_ignore_ascii_case("fastapi") {
            return Some(Stack::Starlette);
        }
        Stack::ALL.into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One piece of a snippet and where it goes (a file, or a block of an existing file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Where this text goes, in the stack's own words.
    pub place: String,
    /// The text to paste.
    pub text: String,
}

/// A rendered snippet: its parts, and what the stack could not express.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// The stack it was written for.
    pub stack: Stack,
    /// The pieces, in the order to read them.
    pub parts: Vec<Part>,
    /// Parts of the policy the snippet does not implement; each is also a comment in the text.
    pub warnings: Vec<String>,
}

impl fmt::Display for Snippet {
    /// All parts, each under a comment saying where it goes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let comment = match self.stack {
            Stack::Nginx
            | Stack::Flask
            | Stack::Django
            | Stack::Starlette
            | Stack::Apache
            | Stack::Caddy
            | Stack::Haproxy
            | Stack::Rack
            | Stack::S3
            | Stack::ApiGateway
            | Stack::IngressNginx
            | Stack::Traefik => "#",
            Stack::Express
            | Stack::Appwrite
            | Stack::Axum
            | Stack::Go
            | Stack::Php
            | Stack::Node
            | Stack::Fastify
            | Stack::CloudflareWorkers
            | Stack::Spring
            | Stack::AspNet
            | Stack::Laravel => "//",
        };
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            // A TOML part takes `#` whatever the stack's own comment is.
            let c = if part.place.ends_with(".toml") { "#" } else { comment };
            writeln!(f, "{c} ---- {} ----", part.place)?;
            f.write_str(&part.text)?;
        }
        Ok(())
    }
}

/// What one blocked request needs added to the CORS layer a server already runs: the grants its
/// answer lacked (`corsair_core::browser::Blocked::missing_grants`), nothing it already allows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Addition {
    /// The page's origin, when the layer does not name it.
    pub origin: Option<String>,
    /// Credentials must be allowed.
    pub credentials: bool,
    /// A method the preflight answer does not allow.
    pub method: Option<String>,
    /// Request headers the preflight answer does not allow (lower case).
    pub headers: Vec<String>,
    /// The status of an answer made outside the layer (no CORS headers after a passed
    /// preflight): the fix moves the layer so that answer carries them.
    pub outside_layer: Option<u16>,
}

impl Addition {
    /// Nothing to add: the failure is not a missing grant (a status, a redirect, ...).
    pub fn is_empty(&self) -> bool {
        self.origin.is_none()
            && !self.credentials
            && self.method.is_none()
            && self.headers.is_empty()
            && self.outside_layer.is_none()
    }
}

/// A fix that adds `addition` to the CORS layer `stack` usually runs (Express's `cors`,
/// django-cors-headers, Starlette's `CORSMiddleware`), keeping every origin, method and header
/// it allows today: where users already have that layer, replacing it with a whole snippet for
/// one origin would drop the others. `None` for stacks whose fix is the whole snippet (config
/// files whose CORS lines the snippet replaces), and for an empty addition.
pub fn amend(addition: &Addition, stack: Stack) -> Option<Snippet> {
    if addition.is_empty() {
        return None;
    }
    let parts = match stack {
        Stack::Express => express::amend(addition),
        Stack::Django => django::amend(addition),
        Stack::Starlette => starlette::amend(addition),
        _ => return None,
    };
    Some(Snippet { stack, parts, warnings: Vec::new() })
}

/// Writes `policy` for `stack`.
pub fn render(policy: &Policy, stack: Stack) -> Snippet {
    let plan = plan::Plan::of(policy);
    let (parts, mut warnings) = match stack {
        Stack::Nginx => nginx::render(&plan),
        Stack::Express => express::render(&plan),
        Stack::Flask => flask::render(&plan),
        Stack::Django => django::render(&plan),
        Stack::Starlette => starlette::render(&plan),
        Stack::Appwrite => appwrite::render(&plan),
        Stack::Axum => axum::render(policy),
        Stack::Apache => apache::render(&plan),
        Stack::Caddy => caddy::render(&plan),
        Stack::Go => go::render(&plan),
        Stack::Php => php::render(&plan),
        Stack::Node => node::render(&plan),
        Stack::Fastify => fastify::render(&plan),
        Stack::Haproxy => haproxy::render(&plan),
        Stack::Rack => rack::render(&plan),
        Stack::CloudflareWorkers => cloudflare::render(&plan),
        Stack::S3 => s3::render(&plan),
        Stack::ApiGateway => api_gateway::render(&plan),
        Stack::Spring => spring::render(&plan),
        Stack::AspNet => aspnet::render(&plan),
        Stack::Laravel => laravel::render(&plan),
        Stack::IngressNginx => ingress_nginx::render(&plan),
        Stack::Traefik => traefik::render(&plan),
    };
    if stack != Stack::Axum {
        warnings.extend(plan.unsupported.iter().cloned());
    }
    Snippet { stack, parts, warnings }
}

/// Comment lines for the warnings, each prefixed with `prefix`.
fn warning_comments(prefix: &str, plan: &plan::Plan, extra: &[String]) -> String {
    let mut s = String::new();
    for w in plan.unsupported.iter().chain(extra) {
        s.push_str(&format!("{prefix} NOT EXPRESSED: {w}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stack but axum (whose policy file carries every setting) names what it leaves out,
    /// once in `warnings` and once as a comment line in its own syntax.
    #[test]
    fn every_stack_says_what_it_does_not_express() {
        let policy = Policy::builder()
            .allow_origins(["https://app.example.com"])
            .forward_preflights(true)
            .allow_private_network(true)
            .build()
            .expect("valid");
        for stack in Stack::ALL.into_iter().filter(|s| *s != Stack::Axum) {
            let snippet = render(&policy, stack);
            // The policy's two, and what the product itself cannot say (S3's credentials).
            let from_policy = snippet
                .warnings
                .iter()
                .filter(|w| w.starts_with("forward_preflights") || w.starts_with("allow_private_network"))
                .count();
            assert_eq!(from_policy, 2, "{stack}: {:?}", snippet.warnings);
            let text = snippet.to_string();
            let comment = if text.contains("// ---- ") { "//" } else { "#" };
            let lines: Vec<&str> = text.lines().filter(|l| l.contains("NOT EXPRESSED")).collect();
            assert_eq!(lines.len(), snippet.warnings.len(), "{stack}: {text}");
            for warning in &snippet.warnings {
                assert!(lines.contains(&format!("{comment} NOT EXPRESSED: {warning}").as_str()), "{stack}: {warning}");
            }
        }
    }
}

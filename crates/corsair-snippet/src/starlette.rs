//! Starlette and FastAPI: a plain ASGI wrapper around the whole app (`app = CorsPolicy(app)`),
//! not `add_middleware`: middleware added that way sits inside Starlette's
//! `ServerErrorMiddleware`, so the 500 it makes from an unhandled exception would lack the
//! headers and the browser would report a CORS error instead of the 500. Not Starlette's
//! `CORSMiddleware`: it refuses a preflight with 400 and a text body whatever the policy's refusal
//! status, and a policy with `*` and credentials there echoes every origin.

use crate::plan::Plan;
use crate::python::{py, py_list};
use crate::{Addition, Part};

/// Names Starlette's class once for the lines pasted at the end of the module.
const IMPORT: &str = "from starlette.middleware.cors import CORSMiddleware as _Cors  # noqa: E402\n";

/// Takes the `CORSMiddleware` out of the app's middleware list and wraps the whole app in it
/// with the same arguments (Starlette builds its stack at the first request, so the list can
/// still change at import time).
const MOVE_OUTSIDE: &str = "_cors = [m for m in app.user_middleware if m.cls is _Cors]\n\
app.user_middleware = [m for m in app.user_middleware if m.cls is not _Cors]\n\
for _m in _cors[:1]:\n    app = _Cors(app, *_m.args, **_m.kwargs)\n";

/// What to add to the `CORSMiddleware` arguments the app already passes, as FastAPI's tutorial
/// writes them (`allow_origins=origins`): the origin appended to that list before
/// `add_middleware`; credentials, methods and headers added at the end of the module to the
/// keyword arguments the layer was given (whatever expression the app wrote for them), since
/// Starlette builds its middleware at the first request. Its defaults allow GET only and no
/// request headers, so a missing method or header is usually a missing argument, kept as the
/// default plus the addition.
pub(crate) fn amend(a: &Addition) -> Vec<Part> {
    let mut parts = Vec::new();
    let head = "# corsair fix for FastAPI / Starlette CORSMiddleware: add to the one the app already has; keep\n\
                # what it allows. Remove hand-written Access-Control-* headers: they would go out twice.\n";
    if let Some(origin) = &a.origin {
        let mut s = head.to_owned();
        s.push_str(
            "# The list passed as allow_origins= (app.add_middleware(CORSMiddleware, allow_origins=origins, ...))\n",
        );
        s.push_str("# gets the page's origin, before add_middleware:\n");
        s.push_str(&format!("origins.append({})\n", py(origin)));
        s.push_str(
            "# If allow_origins=['*'] and credentials are needed: Starlette then echoes every origin; list them.\n",
        );
        parts.push(Part { place: "the module that adds CORSMiddleware, before add_middleware".to_owned(), text: s });
    }
    let extend = a.credentials || a.method.is_some() || !a.headers.is_empty();
    if !extend && a.outside_layer.is_none() {
        return parts;
    }
    let mut s = if parts.is_empty() { head.to_owned() } else { String::new() };
    s.push_str("# Paste at the END of the module, after every route and add_middleware (serve `app` as before).\n");
    s.push_str(IMPORT);
    if extend {
        s.push_str("# The keyword arguments CORSMiddleware was given, extended (what they allow stays allowed):\n");
        s.push_str("for _m in app.user_middleware:\n    if _m.cls is _Cors:\n");
        if a.credentials {
            s.push_str("        _m.kwargs['allow_credentials'] = True\n");
        }
        if let Some(method) = &a.method {
            s.push_str(&format!(
                "        _m.kwargs['allow_methods'] = [*_m.kwargs.get('allow_methods', ['GET']), {}]\n",
                py(method)
            ));
        }
        if !a.headers.is_empty() {
            s.push_str(&format!(
                "        _m.kwargs['allow_headers'] = [*_m.kwargs.get('allow_headers', []), {}]\n",
                py_list(&a.headers)
            ));
        }
    }
    if let Some(status) = a.outside_layer {
        s.push_str(&format!(
            "# The {status} came from outside CORSMiddleware: add_middleware puts it inside Starlette's\n"
        ));
        s.push_str("# ServerErrorMiddleware, whose error answers carry no CORS headers, so the browser reports CORS\n");
        s.push_str("# instead of the error. Move the layer outside, with the arguments it has:\n");
        s.push_str(MOVE_OUTSIDE);
    }
    parts.push(Part { place: "the end of the module that adds CORSMiddleware".to_owned(), text: s });
    parts
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let header = "# corsair snippet for Starlette / FastAPI: save as cors_policy.py, then wrap the app\n\
                  # where the server gets it (outside every middleware, so error answers get headers too):\n\
                  #     from cors_policy import CorsPolicy\n\
                  #     app = CorsPolicy(app)   # after every route is declared; serve this app (uvicorn main:app)\n\
                  # Remove CORSMiddleware from the app if it is there (two CORS layers double the headers).\n";
    let mut s = crate::python::policy_module(plan, header);
    s.push_str(ADAPTER);
    (vec![Part { place: "cors_policy.py".to_owned(), text: s }], Vec::new())
}

const ADAPTER: &str = r#"


class CorsPolicy:
    """Wraps an ASGI app; HTTP requests get the policy, other scopes (websocket, lifespan) pass."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return await self.app(scope, receive, send)
        seen = {}
        for name, value in scope['headers']:
            seen.setdefault(name.decode('latin-1').lower(), value.decode('latin-1'))
        decision = CorsDecision(
            scope['method'],
            seen.get('origin'),
            seen.get('access-control-request-method'),
            seen.get('access-control-request-headers'),
        )
        ours = [(n.lower().encode('latin-1'), v.encode('latin-1')) for n, v in decision.headers()]
        vary = decision.vary()
        if vary:
            ours.append((b'vary', ', '.join(vary).encode('latin-1')))
        status = decision.early_status()
        if status is not None:
            await send({'type': 'http.response.start', 'status': status, 'headers': ours + [(b'content-length', b'0')]})
            await send({'type': 'http.response.body', 'body': b''})
            return
        replaced = {n for n, _ in ours if n != b'vary'}

        async def send_with_cors(message):
            if message['type'] == 'http.response.start':
                kept = [(n, v) for n, v in message.get('headers', []) if n.lower() not in replaced]
                message = dict(message, headers=kept + ours)
            await send(message)

        await self.app(scope, receive, send_with_cors)
"#;

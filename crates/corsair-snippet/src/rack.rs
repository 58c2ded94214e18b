//! Rack (plain Rack, Sinatra, Rails): a `CorsPolicy` middleware to `use` first. It answers
//! preflights itself, adds the headers to whatever the app returns, and turns an exception the
//! app lets out into a 500 with them (a Rack server's own 500 carries none). Not rack-cors: it
//! answers a preflight for a method it does not allow with 200 and no headers, and echoes
//! whatever headers `headers: :any` is asked for, with or without credentials.
//!
//! Patterns use `\A` and `\z`: in Ruby `^` and `$` match at any line break inside the value.

use crate::plan::Plan;
use crate::Part;

/// A Ruby single-quoted string literal.
fn rb(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn rb_list(items: &[String]) -> String {
    format!("[{}].freeze", items.iter().map(|s| rb(s)).collect::<Vec<_>>().join(", "))
}

fn rb_opt(v: Option<&str>) -> String {
    v.map_or("nil".to_owned(), rb)
}

pub(crate) fn render(plan: &Plan) -> (Vec<Part>, Vec<String>) {
    let mut s = String::new();
    s.push_str("# corsair snippet for Rack: save as cors_policy.rb and use it before everything else:\n");
    s.push_str("#     config.ru:  require_relative 'cors_policy'; use CorsPolicy\n");
    s.push_str("#     Rails:      config.middleware.insert_before 0, CorsPolicy\n");
    s.push_str("# Remove rack-cors (or hand-written Access-Control-* headers): two would double them.\n");
    s.push_str(&crate::warning_comments("#", plan, &[]));
    s.push_str("require 'rack'\n\nclass CorsPolicy\n");
    s.push_str("  # Exact origins, compared byte for byte before any pattern.\n");
    s.push_str(&format!("  ALLOWED_ORIGINS = {}\n", rb_list(&plan.exact)));
    s.push_str("  # Patterns, anchored with \\A and \\z, dots escaped.\n");
    s.push_str("  ALLOWED_ORIGIN_PATTERNS = [");
    for (source, re) in &plan.regexes {
        let inner = re.trim_start_matches('^').trim_end_matches('$');
        s.push_str(&format!("\n    Regexp.new({}), # {source}", rb(&format!("\\A{inner}\\z"))));
    }
    s.push_str(if plan.regexes.is_empty() { "].freeze\n" } else { "\n  ].freeze\n" });
    s.push_str(&format!("  ANY_ORIGIN = {}\n", plan.star || plan.any_echoed));
    s.push_str(&format!("  STAR = {} # answer `*`: any origin, no credentials\n", plan.star));
    s.push_str(&format!("  CREDENTIALS = {}\n", plan.credentials));
    s.push_str(&format!(
        "  PREFLIGHT_METHODS = {} # nil: any method\n",
        plan.preflight_methods().map_or("nil".to_owned(), |m| rb_list(&m))
    ));
    s.push_str(&format!(
        "  PREFLIGHT_HEADERS = {} # nil: any header\n",
        plan.headers.as_deref().map_or("nil".to_owned(), rb_list)
    ));
    s.push_str(&format!(
        "  ANY_HEADER_COVERS_AUTHORIZATION = {}\n",
        plan.headers.is_none() && plan.any_header_authorization
    ));
    s.push_str(&format!(
        "  ALLOW_METHODS = {} # nil: name the requested method back\n",
        rb_opt(plan.allow_methods_value.as_deref())
    ));
    s.push_str(&format!(
        "  ALLOW_HEADERS = {} # nil: name the requested headers back\n",
        rb_opt(plan.allow_headers_value.as_deref())
    ));
    s.push_str(&format!("  EXPOSE_HEADERS = {}\n", rb_opt(plan.expose_value.as_deref())));
    s.push_str(&format!("  MAX_AGE = {}\n", rb_opt(plan.max_age.map(|a| a.to_string()).as_deref())));
    s.push_str(&format!("  PREFLIGHT_STATUS = {}\n", plan.preflight_status));
    s.push_str(&format!("  REFUSED_PREFLIGHT_STATUS = {}\n", plan.refused_preflight_status));
    s.push_str(&format!(
        "  REFUSED_ACTUAL_STATUS = {} # nil: let the app answer, without CORS headers\n",
        plan.refused_actual_status.map_or("nil".to_owned(), |s| s.to_string())
    ));
    s.push_str(CODE);
    (vec![Part { place: "cors_policy.rb".to_owned(), text: s }], Vec::new())
}

const CODE: &str = r##"
  def initialize(app)
    @app = app
  end

  def call(env)
    origin = env['HTTP_ORIGIN']
    request_method = env['HTTP_ACCESS_CONTROL_REQUEST_METHOD']
    request_headers = env['HTTP_ACCESS_CONTROL_REQUEST_HEADERS']
    preflight = !origin.nil? && env['REQUEST_METHOD'] == 'OPTIONS' && !request_method.nil?
    vary = STAR ? [] : ['Origin']
    vary += ['Access-Control-Request-Method', 'Access-Control-Request-Headers'] if preflight
    allowed = !origin.nil? && origin_allowed?(origin) &&
              (!preflight || preflight_allowed?(request_method, request_headers))
    ours = allowed ? cors_headers(origin, preflight, request_method, request_headers) : {}
    early = if preflight
              allowed ? PREFLIGHT_STATUS : REFUSED_PREFLIGHT_STATUS
            elsif !origin.nil? && !allowed
              REFUSED_ACTUAL_STATUS
            end
    return finish(early, {}, [], ours, vary) unless early.nil?

    begin
      status, headers, body = @app.call(env)
    rescue StandardError => e
      env['rack.errors'].puts("#{e.class}: #{e.message}\n#{e.backtrace&.join("\n")}")
      return finish(500, { 'content-type' => 'text/plain' }, [], ours, vary)
    end
    finish(status, headers, body, ours, vary)
  end

  private

  def origin_allowed?(origin)
    ALLOWED_ORIGINS.include?(origin) || ANY_ORIGIN || ALLOWED_ORIGIN_PATTERNS.any? { |re| re.match?(origin) }
  end

  def header_names(value)
    value.to_s.split(',').map { |n| n.strip.downcase }.reject(&:empty?)
  end

  def preflight_allowed?(method, headers)
    return false if PREFLIGHT_METHODS && !PREFLIGHT_METHODS.include?(method)

    header_names(headers).all? do |n|
      PREFLIGHT_HEADERS ? PREFLIGHT_HEADERS.include?(n) : (n != 'authorization' || ANY_HEADER_COVERS_AUTHORIZATION)
    end
  end

  def cors_headers(origin, preflight, request_method, request_headers)
    h = { 'access-control-allow-origin' => STAR ? '*' : origin }
    h['access-control-allow-credentials'] = 'true' if CREDENTIALS
    if preflight
      h['access-control-allow-methods'] = ALLOW_METHODS || request_method
      h['access-control-allow-headers'] = ALLOW_HEADERS || request_headers unless header_names(request_headers).empty?
      h['access-control-max-age'] = MAX_AGE if MAX_AGE
    elsif EXPOSE_HEADERS
      h['access-control-expose-headers'] = EXPOSE_HEADERS
    end
    h
  end

  # Header names in lower case (Rack 3 requires it), merged without regard to case (Rack 2).
  def finish(status, headers, body, ours, vary)
    merged = (defined?(Rack::Headers) ? Rack::Headers.new : Rack::Utils::HeaderHash.new).merge!(headers)
    merged.merge!(ours)
    unless vary.empty?
      merged['vary'] = [merged['vary'], *vary].compact.join(', ')
    end
    [status, merged, body]
  end
end
"##;

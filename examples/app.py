#!/usr/bin/env python3
"""herald examples: one small app server beside `herald serve`, three pages.

  /badge   an unread badge per user: a counter on the keyed channel user:<id>, tokens made here
  /news    a news feed: the channel news with history; the page resumes where it left off
  /ticker  a stock ticker: the keyed, conflated channel prices, published here several times a second

The pages use the JS client (clients/js/herald.js, served as /herald.js) and connect to herald's
public listener themselves; this server only serves them, signs their tokens and publishes to
herald's internal listener. Python 3 standard library only.

Environment:
  HERALD_INTERNAL_URL  where this app publishes (default http://127.0.0.1:8081)
  HERALD_PUBLIC_URL    the herald URL the browser's pages connect to (default http://127.0.0.1:8080)
  HERALD_JWT_SECRET    herald's HS256 secret: set it when herald runs with auth (the app signs user
                       tokens with it; of a comma-separated list, the last one)
  HERALD_API_KEY       sent as Authorization: Bearer when publishing, when set (of a list, the first)
  APP_HOST, APP_PORT   where this app listens (default 127.0.0.1 and 8000)

herald needs examples/herald.json (prices keyed and conflated, user:* keyed, news with history);
examples/run.sh starts both.
"""
import base64
import hashlib
import hmac
import html
import json
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
PAGES = os.path.join(HERE, 'pages')
# The JS client: in the repository next to examples/, in the container image at /app/clients/js.
CLIENT_CANDIDATES = [os.path.join(HERE, '..', 'clients', 'js', 'herald.js'), '/app/clients/js/herald.js']

USER_ID = re.compile(r'[A-Za-z0-9_.@=-]{1,64}')  # fits in a channel name: user:<id>
TOKEN_TTL = 600          # seconds; the page asks for a new token before every (re)connect
MAX_BODY = 4096          # bytes of a request body this app reads
MAX_HEADLINE = 200       # characters
SESSION_COOKIE = 'example_session'
SYMBOLS = {'AAPL': 189.50, 'MSFT': 411.20, 'NVDA': 120.30, 'GOOG': 171.80, 'AMZN': 186.40, 'TSLA': 248.90}
TICK_SECONDS = 0.1      # ten batches a second: herald conflates them to one update per symbol per 250 ms


def fail(message):
    print(f'examples/app.py: {message}', file=sys.stderr)
    sys.exit(2)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def sign_jwt(secret, claims):
    """An HS256 JWT (RFC 7519) of claims, signed with secret (bytes)."""
    def part(obj):
        return b64url(json.dumps(obj, separators=(',', ':')).encode())
    signing_input = part({'alg': 'HS256', 'typ': 'JWT'}) + '.' + part(claims)
    sig = hmac.new(secret, signing_input.encode('ascii'), hashlib.sha256).digest()
    return signing_input + '.' + b64url(sig)


class Config:
    def __init__(self, env):
        self.internal_url = self._url(env, 'HERALD_INTERNAL_URL', 'http://127.0.0.1:8081')
        self.public_url = self._url(env, 'HERALD_PUBLIC_URL', 'http://127.0.0.1:8080')
        secrets = [s for s in env.get('HERALD_JWT_SECRET', '').split(',') if s]
        self.jwt_secret = secrets[-1].encode() if secrets else None   # the newest, as herald's rotation expects
        keys = [k for k in env.get('HERALD_API_KEY', '').split(',') if k]
        self.api_key = keys[0] if keys else None
        self.host = env.get('APP_HOST', '127.0.0.1')
        port = env.get('APP_PORT', '8000')
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            fail(f"APP_PORT must be a port number (1-65535), got '{port}'")
        self.port = int(port)
        self.client_js = next((p for p in CLIENT_CANDIDATES if os.path.isfile(p)), None)
        if self.client_js is None:
            fail('the JS client is missing: looked for ' + ' and '.join(CLIENT_CANDIDATES))

    @staticmethod
    def _url(env, name, default):
        url = env.get(name, default).rstrip('/')
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.netloc or parts.path or parts.query:
            fail(f"{name} must be a base URL such as {default}, got '{url}'")
        return url


class HeraldError(Exception):
    """A publish herald refused (status, its error code and message) or could not be reached (status 0)."""
    def __init__(self, status, code, message):
        super().__init__(f'{code}: {message}')
        self.status, self.code, self.message = status, code, message


class Herald:
    """Publishes to herald's internal listener (POST /v1/publish, docs/api.md)."""
    def __init__(self, cfg):
        self.cfg = cfg
        # No proxy from the environment: the internal listener is on loopback or a private network.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def publish(self, body):
        req = urllib.request.Request(self.cfg.internal_url + '/v1/publish', method='POST',
                                     data=json.dumps(body).encode(), headers={'Content-Type': 'application/json'})
        if self.cfg.api_key:
            req.add_header('Authorization', 'Bearer ' + self.cfg.api_key)
        try:
            with self.opener.open(req, timeout=5) as res:
                return json.load(res)
        except urllib.error.HTTPError as e:
            try:
                err = json.load(e)['error']
                raise HeraldError(e.code, err.get('code', '?'), err.get('message', ''))
            except (ValueError, KeyError, TypeError):
                raise HeraldError(e.code, 'http_error', f'HTTP {e.code} from {self.cfg.internal_url}')
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, 'reason', e)
            raise HeraldError(0, 'unreachable', f'cannot reach herald at {self.cfg.internal_url}: {reason}')


def run_ticker(herald, stop):
    """Publishes a random walk of SYMBOLS to the keyed channel prices: every symbol, one batch per tick."""
    prices = dict(SYMBOLS)
    failing = False
    while not stop.wait(TICK_SECONDS):
        events = []
        for sym in sorted(prices):
            pull = 0.002 * (SYMBOLS[sym] / prices[sym] - 1)   # drifts back towards the opening price
            prices[sym] = max(1.0, round(prices[sym] * (1 + random.gauss(0, 0.0008) + pull), 2))
            change = round((prices[sym] / SYMBOLS[sym] - 1) * 100, 2)
            events.append({'channel': 'prices', 'key': sym, 'data': {'price': prices[sym], 'change': change}})
        try:
            reply = herald.publish({'events': events})
            errors = [r['error'] for r in reply.get('results', []) if 'error' in r]
            if errors:
                raise HeraldError(200, errors[0].get('code', '?'), errors[0].get('message', ''))
            if failing:
                print('ticker: publishing again', file=sys.stderr)
            failing = False
        except HeraldError as e:
            if not failing:   # once per outage, not five times a second
                hint = ' (is herald running with --config examples/herald.json?)' if e.code == 'key_required' else ''
                print(f'ticker: cannot publish prices: {e}{hint}; retrying', file=sys.stderr)
            failing = True


class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.herald = Herald(cfg)
        self.session_key = os.urandom(32)   # sessions last as long as this process

    # A session is the user id and its HMAC, so a visitor cannot make one up.
    def session_cookie(self, user):
        mac = hmac.new(self.session_key, user.encode(), hashlib.sha256).hexdigest()
        return f'{user}.{mac}'

    def session_user(self, cookie_header):
        for item in (cookie_header or '').split(';'):
            name, _, value = item.strip().partition('=')
            if name == SESSION_COOKIE:
                user, _, mac = value.rpartition('.')
                if USER_ID.fullmatch(user) and hmac.compare_digest(self.session_cookie(user), value):
                    return user
        return None

    def token_for(self, user):
        now = int(time.time())
        return sign_jwt(self.cfg.jwt_secret, {'sub': user, 'iat': now, 'exp': now + TOKEN_TTL})

    def page(self, name, **values):
        with open(os.path.join(PAGES, name), encoding='utf-8') as f:
            text = f.read()
        values.update(herald_url=self.cfg.public_url, herald_auth='jwt' if self.cfg.jwt_secret else 'off')
        for key, value in values.items():
            text = text.replace('{{' + key + '}}', html.escape(value))
        return text


class Handler(BaseHTTPRequestHandler):
    server_version = 'herald-example'
    app = None   # set in main

    # ------------------------------------------------------------ replies

    def send(self, status, body, content_type, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Cache-Control', 'no-store')
        self.send_header('X-Content-Type-Options', 'nosniff')
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def send_json(self, status, obj, headers=()):
        self.send(status, json.dumps(obj) + '\n', 'application/json', headers)

    def error(self, status, message):
        self.send_json(status, {'error': message})

    def redirect(self, location, headers=()):
        self.send(303, '', 'text/plain', [('Location', location), *headers])

    def log_message(self, fmt, *args):
        sys.stderr.write(f'app: {self.address_string()} {fmt % args}\n')

    # ------------------------------------------------------------ requests

    def read_body(self):
        """The request body (bytes), or None after an error reply."""
        if self.headers.get('Transfer-Encoding'):
            self.error(411, 'send a Content-Length, not a chunked body')
            return None
        length = self.headers.get('Content-Length', '0')
        if not length.isdigit():
            self.error(400, 'a bad Content-Length')
            return None
        if int(length) > MAX_BODY:
            if int(length) <= 16 * MAX_BODY:
                self.rfile.read(int(length))   # so that the client reads the reply, not a reset connection
            self.error(413, f'a body of at most {MAX_BODY} bytes')
            return None
        return self.rfile.read(int(length))

    def same_origin(self):
        """A POST must come from this app's own pages: a browser sends Origin, curl sends none."""
        origin = self.headers.get('Origin')
        host = self.headers.get('Host')
        if origin is None or (host and urlsplit(origin).netloc == host):
            return True
        self.error(403, f'cross-origin request from {origin} refused')
        return False

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        app = self.app
        user = app.session_user(self.headers.get('Cookie'))
        html_type = 'text/html; charset=utf-8'
        if url.path == '/':
            self.send(200, app.page('index.html'), html_type)
        elif url.path == '/badge':
            if user is None:
                self.send(200, app.page('login.html'), html_type)
            else:
                self.send(200, app.page('badge.html', user=user), html_type)
        elif url.path in ('/news', '/ticker'):
            self.send(200, app.page(url.path[1:] + '.html'), html_type)
        elif url.path == '/style.css':
            with open(os.path.join(PAGES, 'style.css'), 'rb') as f:
                self.send(200, f.read(), 'text/css; charset=utf-8')
        elif url.path == '/herald.js':
            with open(app.cfg.client_js, 'rb') as f:
                self.send(200, f.read(), 'text/javascript; charset=utf-8')
        elif url.path == '/token':
            # The page's token hook: a fresh token for the user of this session, for user:<id>.
            if user is None:
                self.error(401, 'log in first (POST /login)')
            elif app.cfg.jwt_secret is None:
                self.error(404, 'herald runs without auth here (HERALD_JWT_SECRET is not set): no token needed')
            else:
                self.send(200, app.token_for(user), 'text/plain; charset=utf-8')
        else:
            self.error(404, f'no page {url.path}')

    def do_POST(self):
        url = urlsplit(self.path)
        app = self.app
        if not self.same_origin():
            return
        body = self.read_body()
        if body is None:
            return
        user = app.session_user(self.headers.get('Cookie'))
        try:
            if url.path == '/login':
                form = parse_qs(body.decode('utf-8', 'replace'))
                wanted = (form.get('user') or [''])[0].strip()
                if not USER_ID.fullmatch(wanted):
                    self.error(400, 'a user id is 1-64 of A-Z a-z 0-9 _ . @ = -')
                    return
                cookie = f'{SESSION_COOKIE}={app.session_cookie(wanted)}; Path=/; HttpOnly; SameSite=Lax'
                self.redirect('/badge', [('Set-Cookie', cookie)])
            elif url.path == '/logout':
                self.redirect('/badge', [('Set-Cookie', f'{SESSION_COOKIE}=; Path=/; Max-Age=0')])
            elif url.path in ('/api/unread/incr', '/api/unread/clear'):
                if user is None:
                    self.error(401, 'log in first (POST /login)')
                    return
                # "Send me a message" adds one to the counter; "mark all read" sets it to 0.
                change = {'incr': 1} if url.path.endswith('/incr') else {'data': 0}
                reply = app.herald.publish({'channel': f'user:{user}', 'key': 'unread', **change})
                self.send_json(200, {'unread': reply.get('value', 0), 'offset': reply['offset']})
            elif url.path == '/api/news':
                try:
                    title = json.loads(body)['title']
                except (ValueError, KeyError, TypeError):
                    self.error(400, 'send JSON {"title": "..."}')
                    return
                if not isinstance(title, str) or not 1 <= len(title.strip()) <= MAX_HEADLINE \
                        or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in title):
                    self.error(400, f'a headline is 1-{MAX_HEADLINE} characters of one line')
                    return
                reply = app.herald.publish({'channel': 'news',
                                            'data': {'title': title.strip(), 'at': int(time.time() * 1000)}})
                self.send_json(200, {'offset': reply['offset']})
            else:
                self.error(404, f'no endpoint {url.path}')
        except HeraldError as e:
            self.error(502, f'herald refused the publish: {e}' if e.status else e.message)


def main():
    cfg = Config(os.environ)
    Handler.app = App(cfg)
    try:
        server = ThreadingHTTPServer((cfg.host, cfg.port), Handler)
    except OSError as e:
        fail(f'cannot listen on {cfg.host}:{cfg.port}: {e.strerror or e} (set APP_PORT)')
    server.daemon_threads = True
    stop = threading.Event()
    ticker = threading.Thread(target=run_ticker, args=(Handler.app.herald, stop), daemon=True)
    ticker.start()

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)

    shown_host = '127.0.0.1' if cfg.host in ('0.0.0.0', '::') else cfg.host
    print(f'app: http://{shown_host}:{cfg.port}/ (pages connect to herald at {cfg.public_url}, '
          f'publishing to {cfg.internal_url}; tokens {"signed with HERALD_JWT_SECRET" if cfg.jwt_secret else "off"})',
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()


if __name__ == '__main__':
    main()

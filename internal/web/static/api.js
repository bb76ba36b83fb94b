// The REST API client: JSON in and out, the session cookie sent by the
// browser (same origin), errors turned into ApiError {status, code, message,
// field, reason, params}: reason and params say what is wrong with field in a
// form fieldMessage (fielderrors.js) words in the screen's language and units.
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, field, reason, params) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.reason = reason || '';
    this.params = params || {};
  }
}

let unauthorized = null;

// onUnauthorized registers what happens when the sign-in has ended (401).
export function onUnauthorized(fn) { unauthorized = fn; }

// api calls the server: api('PATCH', '/api/v1/lines/1', {queue_time: 30}).
export async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', t('error.network'));
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(res.status, e.code || 'http_' + res.status, e.message || t('error.http', { status: res.status }), e.field, e.reason, e.params);
    if (res.status === 401 && unauthorized && !path.endsWith('/auth/login')) unauthorized(err);
    throw err;
  }
  return data;
}

// q builds a query string from the defined values of an object.
export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}

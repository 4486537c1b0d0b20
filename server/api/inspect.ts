/**
 * Dashboard API of the request inspector (beyond frp; docs/api.md "Request inspector"):
 * `/api/inspect…`, behind the dashboard's basic auth like every other API route.
 *
 * @module
 */
import { type ApiRequest, HttpError, type Route } from "../../httpapi/mod.ts";
import { InspectError, type Inspector } from "../inspect/mod.ts";

function idParam(r: ApiRequest): number {
  const id = Number(r.params.id);
  if (!/^\d+$/.test(r.params.id) || !Number.isSafeInteger(id)) {
    throw new HttpError(400, "id must be a number");
  }
  return id;
}

/** Maps the inspector's errors to API errors. */
function api(f: (r: ApiRequest) => unknown): (r: ApiRequest) => Promise<unknown> {
  return async (r) => {
    try {
      return await f(r);
    } catch (err) {
      if (err instanceof InspectError) throw new HttpError(err.status, err.message);
      throw err;
    }
  };
}

/** `{"enable": bool}` body, or `?enable=true|false`. */
async function enableParam(r: ApiRequest): Promise<boolean> {
  const q = r.query.get("enable");
  if (q === "true" || q === "false") return q === "true";
  let body: unknown;
  try {
    body = await r.req.json();
  } catch {
    throw new HttpError(400, 'body must be JSON {"enable": true|false}');
  }
  const v = (body as { enable?: unknown } | null)?.enable;
  if (typeof v !== "boolean") throw new HttpError(400, 'body must be JSON {"enable": true|false}');
  return v;
}

/** The inspector's routes. */
export function inspectRoutes(ins: Inspector): Route[] {
  return [
    { method: "GET", path: "/api/inspect", handler: api(() => ({ proxies: ins.proxies() })) },
    {
      method: "PUT",
      path: "/api/inspect/{name}",
      handler: api(async (r) => ins.toggle(r.params.name, await enableParam(r))),
    },
    {
      method: "GET",
      path: "/api/inspect/{name}/requests",
      handler: api((r) => ins.list(r.params.name)),
    },
    {
      method: "DELETE",
      path: "/api/inspect/{name}/requests",
      handler: api((r) => ins.clear(r.params.name)),
    },
    {
      method: "GET",
      path: "/api/inspect/{name}/requests/{id}",
      handler: api((r) => ins.detail(r.params.name, idParam(r))),
    },
    {
      method: "POST",
      path: "/api/inspect/{name}/requests/{id}/replay",
      handler: api((r) => ins.replay(r.params.name, idParam(r))),
    },
  ];
}

// Requests to the node that serves this page (same origin), with the
// operator key when one was entered (kept for this tab only).

export function operatorKey(): string {
  return sessionStorage.getItem("operatorKey") ?? "";
}

export function setOperatorKey(key: string): void {
  sessionStorage.setItem("operatorKey", key.trim());
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function request(path: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (operatorKey()) headers["Authorization"] = `Bearer ${operatorKey()}`;
  const response = await fetch(path, { headers });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && typeof body.error === "string") message = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

export async function getJson(path: string): Promise<any> {
  return (await request(path)).json();
}

export async function getText(path: string): Promise<string> {
  return (await request(path)).text();
}

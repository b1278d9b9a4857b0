/**
 * A typed client for the campaignops API: openapi-fetch over the types that
 * openapi-typescript generated from the API's OpenAPI document (src/schema.d.ts).
 *
 * Every path, parameter, body and response is typed; error bodies are the API's
 * RFC 9457 problems, typed per operation.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

/** The API's schemas by name: `Schemas["MemberOut"]`. */
export type Schemas = components["schemas"];

/** An RFC 9457 problem, the body of every 4xx and 5xx answer. */
export type Problem = Schemas["Problem"];

export type CampaignopsClient = Client<paths>;

export interface CampaignopsOptions extends ClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:8000` (paths start with `/v1`). */
  baseUrl: string;
  /** An API key, `cok_<prefix>_<secret>`, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
}

/** A client that sends the API key with every request. */
export function createCampaignopsClient({ apiKey, ...options }: CampaignopsOptions): CampaignopsClient {
  const client = createClient<paths>(options);
  client.use({
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${apiKey}`);
      return request;
    },
  });
  return client;
}

/** A fresh `Idempotency-Key`: send the same one again to retry a create safely. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * Uses the typed client the way a frontend would:
 *   - create a member with an Idempotency-Key (a retry with the same key and body
 *     replays the first answer instead of creating a second member);
 *   - handle a problem answer by its typed `code`;
 *   - list the members page by page, passing `next_cursor` back as `cursor`
 *     (PAGE_SIZE members a page, 50 by default).
 *
 * Run against a live API (Node.js 20+ runs TypeScript with a loader such as tsx):
 *   CAMPAIGNOPS_URL=http://127.0.0.1:8000 CAMPAIGNOPS_KEY=cok_... npx tsx examples/members.ts
 */
import {
  createCampaignopsClient,
  newIdempotencyKey,
  type Schemas,
} from "../src/client";

type Member = Schemas["MemberOut"];

const api = createCampaignopsClient({
  baseUrl: process.env.CAMPAIGNOPS_URL ?? "http://127.0.0.1:8000",
  apiKey: process.env.CAMPAIGNOPS_KEY ?? "",
});

/** Adds a member; an existing email is not an error here: it is looked up instead. */
async function addMember(name: string, email: string): Promise<Member | undefined> {
  const idempotencyKey = newIdempotencyKey();
  const { data, error, response } = await api.POST("/v1/members", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: { name, email, department: "Marketing", title: "Specialist" },
  });
  if (data !== undefined) {
    const replayed = response.headers.get("Idempotent-Replayed") === "true";
    console.log(`created ${data.name} (${data.id}) at ${response.headers.get("Location")}${replayed ? ", replayed" : ""}`);
    return data;
  }
  switch (error.code) {
    case "conflict":
      console.log(`already a member: ${error.detail}`);
      return undefined;
    case "validation_error":
      for (const field of error.errors ?? []) {
        console.log(`${field.location}.${field.field}: ${field.detail}`);
      }
      return undefined;
    default:
      throw new Error(`${error.status} ${error.title}: ${error.detail} (request ${error.request_id ?? "?"})`);
  }
}

/** Every member, `pageSize` at a time, following `next_cursor` until it is null. */
async function allMembers(pageSize: number): Promise<{ members: Member[]; pages: number }> {
  const members: Member[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data, error } = await api.GET("/v1/members", {
      params: { query: { limit: pageSize, cursor } },
    });
    if (error !== undefined) {
      throw new Error(`${error.code}: ${error.detail}`);
    }
    pages += 1;
    members.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return { members, pages };
}

async function main(): Promise<void> {
  await addMember("Li Na", "li.na@example.com");
  await addMember("Wang Wei", "wang.wei@example.com");
  await addMember("Li Na", "li.na@example.com"); // the same email again: a `conflict` problem
  const { members, pages } = await allMembers(Number(process.env.PAGE_SIZE ?? 50));
  const names = members.map((member) => member.name).join(", ");
  console.log(`${members.length} members in ${pages} page(s): ${names}`);
}

main().catch((reason: unknown) => {
  console.error(reason);
  process.exitCode = 1;
});

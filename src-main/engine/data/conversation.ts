/**
 * Dataset rows (alpaca, ShareGPT, OpenAI messages) to chat conversations, with LLaMA-Factory's column and tag
 * names. A row that cannot become a trainable conversation is not an error of the whole file: the caller
 * reports it as a bad row, with the reason this module gives.
 */
import type { ChatMessage, Role } from '../formats/tokenizer';

import type { BadRow, DatasetFormat } from '../../protocol/dataset-preview';

export type { BadRow, DatasetFormat };

/** Optional system message first, then user/assistant alternating, ending with an assistant answer. */
export interface Conversation {
  /** 1-based: array index + 1 in a JSON file, line number in a JSONL file. */
  readonly row: number;
  readonly messages: readonly ChatMessage[];
}

/** Where an alpaca row keeps each part (LLaMA-Factory `columns`). */
export interface AlpacaLayout {
  readonly kind: 'alpaca';
  readonly prompt: string;
  readonly query: string;
  readonly response: string;
  readonly system: string;
  readonly history: string;
}

/** Where a message-list row keeps its messages and how roles are spelled (LLaMA-Factory `columns` + `tags`). */
export interface ChatLayout {
  readonly kind: 'chat';
  readonly messages: string;
  /** A column holding a system prompt beside the messages (used when the first message is not a system one). */
  readonly system: string;
  readonly roleTag: string;
  readonly contentTag: string;
  readonly userTag: string;
  readonly assistantTag: string;
  readonly systemTag: string;
  /** Roles of tool calls and tool results, refused with a clear reason rather than called unknown. */
  readonly toolTags: readonly string[];
}

export type RowLayout = AlpacaLayout | ChatLayout;

export const ALPACA_LAYOUT: AlpacaLayout = { kind: 'alpaca', prompt: 'instruction', query: 'input', response: 'output', system: 'system', history: 'history' };

export const SHAREGPT_LAYOUT: ChatLayout = {
  kind: 'chat',
  messages: 'conversations',
  system: 'system',
  roleTag: 'from',
  contentTag: 'value',
  userTag: 'human',
  assistantTag: 'gpt',
  systemTag: 'system',
  toolTags: ['observation', 'function_call'],
};

export const OPENAI_LAYOUT: ChatLayout = {
  kind: 'chat',
  messages: 'messages',
  system: 'system',
  roleTag: 'role',
  contentTag: 'content',
  userTag: 'user',
  assistantTag: 'assistant',
  systemTag: 'system',
  toolTags: ['tool', 'function'],
};

/** OpenAI-style when messages are `{role, content}`, whatever the list is called or the registry calls the format. */
export function formatOf(layout: RowLayout): DatasetFormat {
  if (layout.kind === 'alpaca') return 'alpaca';
  return layout.roleTag === 'role' && layout.contentTag === 'content' ? 'openai' : 'sharegpt';
}

/**
 * The layout most rows follow, or null when no row looks like any known format. A vote rather than the first
 * row, so that one broken row at the top does not turn every good row into a bad one.
 */
export function detectLayout(values: readonly unknown[]): RowLayout | null {
  const votes = new Map<string, { layout: RowLayout; count: number }>();
  for (const value of values) {
    const layout = layoutOfRow(value);
    if (!layout) continue;
    const key = layout.kind === 'alpaca' ? 'alpaca' : `${layout.messages}/${layout.roleTag}`;
    const vote = votes.get(key) ?? { layout, count: 0 };
    vote.count++;
    votes.set(key, vote);
  }
  let best: { layout: RowLayout; count: number } | null = null;
  for (const vote of votes.values()) if (!best || vote.count > best.count) best = vote;
  return best?.layout ?? null;
}

function layoutOfRow(value: unknown): RowLayout | null {
  if (!isRecord(value)) return null;
  for (const column of ['messages', 'conversations']) {
    const list = value[column];
    if (!Array.isArray(list)) continue;
    const first = list.find(isRecord);
    const openai = first ? 'role' in first || 'content' in first : column === 'messages';
    return { ...(openai ? OPENAI_LAYOUT : SHAREGPT_LAYOUT), messages: column };
  }
  if ('instruction' in value || 'output' in value) return ALPACA_LAYOUT;
  return null;
}

export type RowConversion = { readonly ok: true; readonly messages: ChatMessage[] } | { readonly ok: false; readonly problem: string };

/** The conversation a row holds, or what is wrong with it (without the row number, which the caller knows). */
export function toMessages(value: unknown, layout: RowLayout): RowConversion {
  if (!isRecord(value)) return fail(`not a JSON object (found ${describeType(value)})`);
  return layout.kind === 'alpaca' ? alpacaMessages(value, layout) : chatMessages(value, layout);
}

/** `[system?], ...history, user: instruction + "\n" + input, assistant: output` as LLaMA-Factory builds it. */
function alpacaMessages(row: Record<string, unknown>, layout: AlpacaLayout): RowConversion {
  const instruction = stringField(row, layout.prompt, true);
  if (typeof instruction !== 'string') return fail(instruction.problem);
  const input = stringField(row, layout.query, false);
  if (typeof input !== 'string') return fail(input.problem);
  const output = stringField(row, layout.response, true);
  if (typeof output !== 'string') return fail(output.problem);
  const system = stringField(row, layout.system, false);
  if (typeof system !== 'string') return fail(system.problem);

  const messages: ChatMessage[] = [];
  if (system.trim()) messages.push({ role: 'system', content: system });
  const history = row[layout.history];
  if (history !== undefined && history !== null) {
    const shape = `"${layout.history}" must be a list of [prompt, answer] pairs of strings`;
    if (!Array.isArray(history)) return fail(`${shape}, not ${describeType(history)}`);
    for (const [i, pair] of history.entries()) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        return fail(`${shape}; pair ${i + 1} is not [string, string]`);
      }
      if (!pair[0].trim()) return fail(`empty prompt in "${layout.history}" pair ${i + 1}`);
      if (!pair[1].trim()) return fail(`empty answer in "${layout.history}" pair ${i + 1}`);
      messages.push({ role: 'user', content: pair[0] }, { role: 'assistant', content: pair[1] });
    }
  }
  // LLaMA-Factory joins the non-empty parts, so an empty instruction with an input gives the input alone.
  const prompt = [instruction, input].filter((s) => s !== '').join('\n');
  if (!prompt.trim()) return fail(`empty prompt: "${layout.prompt}" and "${layout.query}" are both empty`);
  if (!output.trim()) return fail(`empty answer in "${layout.response}"`);
  messages.push({ role: 'user', content: prompt }, { role: 'assistant', content: output });
  return { ok: true, messages };
}

function chatMessages(row: Record<string, unknown>, layout: ChatLayout): RowConversion {
  const list = row[layout.messages];
  if (list === undefined) return fail(`"${layout.messages}" is missing`);
  if (!Array.isArray(list)) return fail(`"${layout.messages}" must be a list of messages, not ${describeType(list)}`);
  const system = stringField(row, layout.system, false);
  if (typeof system !== 'string') return fail(system.problem);

  const roles: Record<string, Role> = { [layout.userTag]: 'user', [layout.assistantTag]: 'assistant', [layout.systemTag]: 'system' };
  const expected = `${layout.userTag}, ${layout.assistantTag} or ${layout.systemTag}`;
  const messages: ChatMessage[] = [];
  for (const [i, item] of list.entries()) {
    const where = `message ${i + 1}`;
    if (!isRecord(item)) return fail(`${where} is not an object (found ${describeType(item)})`);
    const tag = item[layout.roleTag];
    if (tag === undefined) return fail(`${where} has no "${layout.roleTag}"`);
    if (typeof tag !== 'string') return fail(`${where}: "${layout.roleTag}" must be a string, not ${describeType(tag)}`);
    const role = Object.hasOwn(roles, tag) ? roles[tag] : undefined;
    if (!role && layout.toolTags.includes(tag)) return fail(`${where} is a tool turn ("${tag}"); tool turns are not supported`);
    if (!role) return fail(`${where} has an unknown role "${tag}" (expected ${expected})`);
    const content = item[layout.contentTag];
    if (content === undefined) return fail(`${where} has no "${layout.contentTag}"`);
    if (typeof content !== 'string') return fail(`${where}: "${layout.contentTag}" must be a string, not ${describeType(content)}`);

    const turn = messages.length > 0 && messages[0]!.role === 'system' ? messages.length - 1 : messages.length;
    if (role === 'system') {
      if (i !== 0) return fail(`${where} is a system message; only the first message may be one`);
      if (content.trim()) messages.push({ role, content });
      continue;
    }
    const want: Role = turn % 2 === 0 ? 'user' : 'assistant';
    if (role !== want) {
      const wantTag = want === 'user' ? layout.userTag : layout.assistantTag;
      return fail(`roles must alternate ${layout.userTag}/${layout.assistantTag} starting with ${layout.userTag}: ${where} is "${tag}" where "${wantTag}" should be`);
    }
    if (!content.trim()) return fail(role === 'assistant' ? `empty answer in ${where}` : `empty prompt in ${where}`);
    messages.push({ role, content });
  }
  const last = messages.at(-1);
  if (!last || last.role === 'system') return fail(`"${layout.messages}" has no ${layout.userTag}/${layout.assistantTag} turns`);
  if (last.role !== 'assistant') return fail(`the conversation ends with a ${layout.userTag} turn (message ${list.length}); it must end with an answer ("${layout.assistantTag}")`);
  // The system column only fills in for a missing system message, as in LLaMA-Factory.
  if (messages[0]!.role !== 'system' && system.trim()) messages.unshift({ role: 'system', content: system });
  return { ok: true, messages };
}

/** A string column; an absent (or null) optional one reads as "". */
function stringField(row: Record<string, unknown>, column: string, required: boolean): string | { problem: string } {
  const v = row[column];
  if (v === undefined || (v === null && !required)) return required ? { problem: `"${column}" is missing` } : '';
  if (typeof v !== 'string') return { problem: `"${column}" must be a string, not ${describeType(v)}` };
  return v;
}

function fail(problem: string): RowConversion {
  return { ok: false, problem };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof v;
  }
}

/**
 * An Ollama TEMPLATE (Go text/template) equivalent to a Hugging Face chat template. Ollama never runs Jinja:
 * it picks one of its built-in templates whose text is within Levenshtein distance 100 of the GGUF's
 * tokenizer.chat_template and otherwise sends the bare prompt, which a fine-tuned model's own template
 * rarely survives. So the template is rendered with marker messages, cut into per-role prefixes and
 * suffixes, reassembled in Go syntax, and kept only if it reproduces the Jinja rendering of sample chats.
 */
import { Template } from '@huggingface/jinja';

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

interface Parts {
  /** What precedes the first user turn when there is no system message (BOS, a default system prompt). */
  head: string;
  /** What precedes the first user turn around a system message; null when the template ignores system messages. */
  system: [before: string, after: string] | null;
  user: [before: string, after: string];
  assistant: [before: string, after: string];
  generationPrompt: string;
}

/** The Go template, or null when the chat template's shape cannot be expressed as per-role prefixes and suffixes. */
export function ollamaTemplate(chatTemplate: string, tokens: { bos: string | null; eos: string | null }): string | null {
  let template: Template;
  try {
    template = new Template(chatTemplate);
  } catch {
    return null;
  }
  const render = (messages: Message[], addGenerationPrompt: boolean) =>
    template.render({ messages, bos_token: tokens.bos ?? '', eos_token: tokens.eos ?? '', add_generation_prompt: addGenerationPrompt });
  let parts: Parts | null;
  try {
    parts = cut(render);
  } catch {
    return null;
  }
  if (!parts) return null;
  const literals = [parts.head, ...(parts.system ?? []), ...parts.user, ...parts.assistant, parts.generationPrompt];
  // Go template actions and the Modelfile's """ quoting cannot be escaped inside the literal text.
  if (literals.some((s) => s.includes('{{') || s.includes('"""'))) return null;
  const samples: Message[][] = [
    [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Bye' }],
    [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Bye' }],
  ];
  for (const messages of samples) {
    if (!parts.system && messages[0]!.role === 'system') continue;
    let expected: string;
    try {
      expected = render(messages, true);
    } catch {
      return null;
    }
    if (assemble(parts, messages) !== expected) return null;
  }
  const head = parts.system ? `{{ if .System }}${parts.system[0]}{{ .System }}${parts.system[1]}{{ else }}${parts.head}{{ end }}` : parts.head;
  return (
    head +
    '{{ range .Messages }}' +
    `{{ if eq .Role "user" }}${parts.user[0]}{{ .Content }}${parts.user[1]}` +
    `{{ else if eq .Role "assistant" }}${parts.assistant[0]}{{ .Content }}${parts.assistant[1]}{{ end }}` +
    `{{ end }}${parts.generationPrompt}`
  );
}

const MARK = { system: '\u2063S\u2063', user: '\u2063U\u2063', assistant: '\u2063A\u2063', user2: '\u2063V\u2063' };

function cut(render: (messages: Message[], addGenerationPrompt: boolean) => string): Parts | null {
  const u: Message = { role: 'user', content: MARK.user };
  const a: Message = { role: 'assistant', content: MARK.assistant };
  const r1 = render([u], false);
  const r2 = render([u, a], false);
  const r3 = render([u, a, { role: 'user', content: MARK.user2 }], false);
  const g1 = render([u], true);
  if (!r2.startsWith(r1) || !r3.startsWith(r2) || !g1.startsWith(r1)) return null;
  const assistant = around(r2.slice(r1.length), MARK.assistant);
  const user = around(r3.slice(r2.length), MARK.user2);
  if (!assistant || !user) return null;
  const firstUser = user[0] + MARK.user + user[1];
  if (!r1.endsWith(firstUser)) return null;
  let system: [string, string] | null = null;
  try {
    const s1 = render([{ role: 'system', content: MARK.system }, u], false);
    if (s1.endsWith(firstUser)) system = around(s1.slice(0, s1.length - firstUser.length), MARK.system);
  } catch {
    // A template that rejects system messages: the TEMPLATE then has none either.
  }
  return { head: r1.slice(0, r1.length - firstUser.length), system, user, assistant, generationPrompt: g1.slice(r1.length) };
}

/** The text before and after the one occurrence of `mark`, or null. */
function around(text: string, mark: string): [string, string] | null {
  const parts = text.split(mark);
  return parts.length === 2 ? [parts[0]!, parts[1]!] : null;
}

/** What Ollama renders from the Go template for `messages` (system messages go to .System). */
function assemble(p: Parts, messages: Message[]): string {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  let out = system.length && p.system ? p.system[0] + system.join('\n') + p.system[1] : p.head;
  for (const m of messages) {
    if (m.role === 'user') out += p.user[0] + m.content + p.user[1];
    else if (m.role === 'assistant') out += p.assistant[0] + m.content + p.assistant[1];
  }
  return out + p.generationPrompt;
}

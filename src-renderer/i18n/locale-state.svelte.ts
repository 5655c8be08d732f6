/** The board's language (English or 简体中文), switchable at run time and remembered in localStorage. */
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' } as const;
export type Language = keyof typeof LANGUAGES;

const STORAGE_KEY = 'tuneboard.language';
const CATALOGS: Record<Language, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export class LocaleState {
  language = $state<Language>(initialLanguage());

  constructor() {
    document.documentElement.lang = this.language;
  }

  /** The text of `key` in the current language, `{name}` placeholders filled from params. */
  t: Translate = (key, params) => {
    const text = CATALOGS[this.language][key] ?? en[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : text;
  };

  /** Numbers in the current language's style. */
  number = (value: number, digits = 0): string =>
    value.toLocaleString(this.language, { maximumFractionDigits: digits, minimumFractionDigits: 0 });

  choose(language: Language): void {
    this.language = language;
    localStorage.setItem(STORAGE_KEY, language);
    document.documentElement.lang = language;
  }
}

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && saved in LANGUAGES) return saved as Language;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

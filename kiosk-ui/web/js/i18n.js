// Message catalogues: fetched once per language from /i18n/{lang}.json.
const catalogues = new Map();
let current = "en";
const fallback = "en";

export async function load(lang) {
  if (catalogues.has(lang)) return;
  const r = await fetch(`/i18n/${encodeURIComponent(lang)}.json`);
  if (!r.ok) throw new Error(`catalogue ${lang}: ${r.status}`);
  catalogues.set(lang, await r.json());
}

export function setLang(lang) {
  current = lang;
  document.documentElement.lang = lang;
}

export function lang() {
  return current;
}

// t returns the text for key with {name} placeholders filled from params.
export function t(key, params) {
  let s = catalogues.get(current)?.[key] ?? catalogues.get(fallback)?.[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, p) => (p in params ? String(params[p]) : m));
  return s;
}

// K marks a string as a catalogue key where it is not passed to t directly,
// so the key check in the Go tests finds it.
export const K = (key) => key;

// nativeName is a language's name in that language, for the picker.
export function nativeName(code) {
  return catalogues.get(code)?.[K("language.name")] ?? code;
}

// translateStatic fills the page shell elements that carry a data-i18n key.
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}

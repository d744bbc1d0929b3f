// gen-tokenizer-fixtures.mjs — run by scripts/gen-tokenizer-fixtures (see there):
//   node gen.mjs GPT3_ENCODER_PACKAGE_DIR OUT_DIR TASKS_DIR
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { PreTrainedTokenizer } from '@huggingface/transformers';

const [pkg, out, tasks] = process.argv.slice(2);
const require = createRequire(path.join(pkg, 'x.js'));
const gpt3 = require(path.join(pkg, 'Encoder.js'));

// --- deterministic randomness (xorshift32) --------------------------------
let seed = 20240611;
const rnd = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed / 4294967296; };
const pick = (a) => a[Math.floor(rnd() * a.length)];

// --- test strings -----------------------------------------------------------
const base = [
  'Hello, world!', 'hello world', "It's a dog's life, isn't it? We're sure they'll say we'd've...",
  "DON'T SHOUT. I'M here; YOU'RE there", "can't won't shan't o'clock rock'n'roll '90s",
  'Naïve café résumé façade Ångström Øre ßtraße', 'ÉCOLE ÉLÉMENTAIRE À PARIS', 'crème brûlée — déjà vu',
  '日本語のテキストです。', '中文句子，包括标点符号！', '한국어 문장입니다', 'mixed英文and中文text',
  'Emoji 🤗👍🏽 and 👨‍👩‍👧 family', '🙂🙃🙂', 'tab\tseparated\tvalues', 'line one\nline two\r\nline three',
  'multiple   spaces    here', '   leading and trailing   ', '\n\n\n', '', ' ', 'a',
  'control\u0001chars\u0007in\u001ftext', 'zero\u200bwidth\u200cjoiners\u200d', 'soft\u00adhyphen',
  'nbsp\u00a0and\u2003em\u2009thin spaces', 'ideographic\u3000space',
  'supercalifragilisticexpialidocious', 'pneumonoultramicroscopicsilicovolcanoconiosis',
  'x'.repeat(99), 'y'.repeat(100), 'z'.repeat(101), 'ab'.repeat(60), 'The number is 3.14159 and 1,000,000.',
  '١٢٣ Arabic-Indic digits ٤٥٦', 'Ⅻ roman ⅷ numerals ½ ¾ ²³', 'email@example.com https://example.org/path?q=1&r=2',
  '$100 #hashtag @mention 50% a+b=c (paren) [bracket] {brace} <angle> ^caret~tilde|pipe\\backslash`tick',
  '«guillemets» „German“ ‘single’ “double” …ellipsis… ¿qué? ¡sí!', '§ ¶ † ‡ • © ® ™ ° ± × ÷',
  'Ελληνικά κείμενα με τόνους', 'Русский текст с ЗАГЛАВНЫМИ буквами', 'עברית וערבית العربية',
  'हिन्दी पाठ', 'ภาษาไทย', 'Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ１２３', 'ﬁ ligature ﬂ', 'İstanbul ıi',
  'a man plays a guitar .', 'the film was good .', 'A\u0301 combining acute e\u0300 grave o\u0308',
  'under_score snake_case CamelCaseWord kebab-case', '...!!!???', "''' '' '", "'s 's 'S 'T 'RE",
  'numbers123mixed456with789letters', '2024-06-11T12:34:56Z', 'C++ and C# and F#', 'ﾊﾝｶｸ halfwidth katakana',
];
const pools = {
  ascii: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  punct: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  space: ['  ', ' ', ' ', ' ', '\t', '\n', '\r\n', '\u00a0', '\u3000'],
  accent: 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÉÎÕÜŸąęłńśźżčďěňřšťůž',
  cjk: '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年',
  emoji: ['🤗', '😀', '👍', '🎉', '❤️', '🚀', '✨'],
  ctrl: ['\u0000', '\u0002', '\u001b', '\u007f', '\ufffd', '\u200e'],
  words: ["the", "film", "was", "good", "bad", "don't", "it's", "man", "woman", "plays", "reads", "book", "music",
          "running", "jumped", "quickly", "happiness", "unbelievable", "tokenization", "Hugging", "Face"],
};
const rand_piece = () => {
  const r = rnd();
  if (r < 0.35) return pick(pools.words);
  if (r < 0.5) { let s = ''; const n = 1 + Math.floor(rnd() * 8); for (let i = 0; i < n; i++) s += pick(pools.ascii); return s; }
  if (r < 0.6) return pick(pools.punct) + (rnd() < 0.5 ? pick(pools.punct) : '');
  if (r < 0.7) return pick(pools.accent) + pick(pools.ascii) + pick(pools.accent);
  if (r < 0.78) return pick(pools.cjk) + (rnd() < 0.5 ? pick(pools.cjk) : '');
  if (r < 0.85) return pick(pools.emoji);
  if (r < 0.9) return pick(pools.ctrl);
  return String(Math.floor(rnd() * 100000));
};
const rand_text = () => {
  let s = '';
  const n = 1 + Math.floor(rnd() * 14);
  for (let i = 0; i < n; i++) s += rand_piece() + (rnd() < 0.8 ? ' ' : pick(pools.space));
  return rnd() < 0.5 ? s.trim() : s;
};
const texts = [...base];
for (const d of fs.readdirSync(tasks)) {
  const f = path.join(tasks, d, 'train.tsv');
  if (!fs.existsSync(f)) continue;
  for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1, 6))
    for (const field of line.split('\t')) if (field.length > 3 && !/^\d+$/.test(field)) texts.push(field);
}
while (texts.length < 260) texts.push(rand_text());

// --- vocabularies -------------------------------------------------------------
const common = `the of and to a in is it you that he was for on are with as I his they be at one have this from or
had by not word but what some we can out other were all there when up use your how said an each she which do their time
if will way about many then them write would like so these her long make thing see him two has look more day could go
come did number sound no most people my over know water than call first who may down side been now find any new work
part take get place made live where after back little only round man year came show every good me give our under name
very through just form sentence great think say help low line differ turn cause much mean before move right boy old too
same tell does set three want air well also play small end put home read hand port large spell add even land here must
big high such follow act why ask men change went light kind off need house picture try us again animal point mother
world near build self earth father film music book guitar woman plays reads sleeps story awful ending nice run jump
quick happy believe token face hug ing`.split(/\s+/);
const suffixes = ['s', 'ed', 'ing', 'ly', 'er', 'est', 'tion', 'ness', 'able', 'un', 'es', 'y', 'ful', 'ment', 'al'];
const task_words = [];
for (const d of fs.readdirSync(tasks)) {
  const f = path.join(tasks, d, 'train.tsv');
  if (fs.existsSync(f)) for (const w of fs.readFileSync(f, 'utf8').split(/[\s.,!?;:"()]+/)) if (/^[A-Za-z']+$/.test(w)) task_words.push(w);
}
const hash = (s) => { let h = 2166136261; for (const c of s) { h ^= c.codePointAt(0); h = Math.imul(h, 16777619) >>> 0; } return h; };
function wordpiece_vocab(lower) {
  const v = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const seen = new Set(v);
  const add = (t) => { if (!seen.has(t)) { seen.add(t); v.push(t); } };
  const norm = (s) => lower ? s.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '') : s;
  for (const w of [...common, ...task_words, ...pools.words]) {
    const n = norm(w);
    if (hash(n) % 7 !== 0) add(n);              // most whole words
    if (n.length > 4) add(n.slice(0, 3));       // prefixes for greedy matching
    if (n.length > 5) add('##' + n.slice(3));
  }
  for (const s of suffixes) add('##' + s);
  const chars = new Set();
  for (const t of texts) for (const c of norm(t)) chars.add(c);
  for (const c of [...chars].sort()) {
    if (/\s/u.test(c) || hash(c) % 5 === 0) continue; // leave some out: [UNK]
    add(c);
    if (hash(c + '#') % 4 !== 0) add('##' + c);
  }
  return v;
}

// --- tokenizers -----------------------------------------------------------------
const specials = (list) => list.map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false,
                                                          normalized: false, special: true }));
function bert_json(vocab, lowercase) {
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: specials(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => [t, ids[t]])),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', ids['[SEP]']], cls: ['[CLS]', ids['[CLS]']] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: ids },
  };
}
function bpe_json(vocab, merges, post, added) {
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: specials(added),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: post, decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
             fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}
const gpt2_vocab = JSON.parse(fs.readFileSync(path.join(pkg, 'encoder.json'), 'utf8'));
const gpt2_merges_lines = fs.readFileSync(path.join(pkg, 'vocab.bpe'), 'utf8').split('\n').slice(1).filter((l) => l.length);
const gpt2_tok = new PreTrainedTokenizer(bpe_json(gpt2_vocab, gpt2_merges_lines, { type: 'ByteLevel', trim_offsets: false },
                                                  [['<|endoftext|>', 50256]]), {});

// RoBERTa-like: GPT-2's first 4000 merges; vocabulary = specials, byte symbols, merge results
const rb_merges = gpt2_merges_lines.slice(0, 4000);
const rb_vocab = {};
let next = 0;
for (const t of ['<s>', '<pad>', '</s>', '<unk>']) rb_vocab[t] = next++;
const byte_syms = Object.keys(gpt2_vocab).filter((t) => gpt2_vocab[t] < 256);  // GPT-2's ids 0..255 are the byte symbols
for (const t of byte_syms.sort((x, y) => gpt2_vocab[x] - gpt2_vocab[y])) rb_vocab[t] = next++;
for (const m of rb_merges) { const t = m.split(' ').join(''); if (!(t in rb_vocab)) rb_vocab[t] = next++; }
rb_vocab['<mask>'] = next++;
const rb_post = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false };
const rb_json = bpe_json(rb_vocab, rb_merges, rb_post, [['<s>', 0], ['<pad>', 1], ['</s>', 2], ['<unk>', 3], ['<mask>', rb_vocab['<mask>']]]);
const rb_tok = new PreTrainedTokenizer(rb_json, {});

const bu_vocab = wordpiece_vocab(true), bc_vocab = wordpiece_vocab(false);
const bu_tok = new PreTrainedTokenizer(bert_json(bu_vocab, true), {});
const bc_json = bert_json(bc_vocab, false);
const bc_tok = new PreTrainedTokenizer(bc_json, {});

// --- writing the folders --------------------------------------------------------------
const w = (rel, data) => { fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true }); fs.writeFileSync(path.join(out, rel), data); };
w('bert-uncased/vocab.txt', bu_vocab.join('\n') + '\n');
w('bert-uncased/tokenizer_config.json', JSON.stringify({ do_lower_case: true, tokenize_chinese_chars: true, strip_accents: null }, null, 1) + '\n');
w('bert-uncased/config.json', JSON.stringify({ model_type: 'bert' }) + '\n');
w('bert-cased/tokenizer.json', JSON.stringify(bc_json) + '\n');
w('bert-cased/config.json', JSON.stringify({ model_type: 'distilbert' }) + '\n');
w('roberta/vocab.json', JSON.stringify(rb_vocab) + '\n');
w('roberta/merges.txt', '#version: 0.2\n' + rb_merges.join('\n') + '\n');
w('roberta/config.json', JSON.stringify({ model_type: 'roberta' }) + '\n');
w('roberta-json/tokenizer.json', JSON.stringify(rb_json) + '\n');

// --- expected ids -------------------------------------------------------------------------
const fam = { 'bert-uncased': 'bert', 'bert-cased': 'bert', roberta: 'roberta', 'roberta-json': 'roberta', gpt2: 'gpt2' };
const toks = { 'bert-uncased': bu_tok, 'bert-cased': bc_tok, roberta: rb_tok, 'roberta-json': rb_tok, gpt2: gpt2_tok };
const special_ids = { bert: [2, 3], roberta: [0, 2] };
const plain = (name, s) => {
  const ids = toks[name].encode(s, { add_special_tokens: false });
  if (name === 'gpt2') {
    const ref = gpt3.encode(s);
    if (JSON.stringify(ref) !== JSON.stringify(ids))
      throw new Error(`gpt-3-encoder and transformers.js disagree on ${JSON.stringify(s)}: ${ref} vs ${ids}`);
  }
  return ids;
};
// Hugging Face tokenizers (Rust): TruncationStrategy::LongestFirst on the texts' ids
function longest_first(a, b, m) {
  if (b === null) return [a.slice(0, m), null];
  if (a.length + b.length <= m) return [a, b];
  let n1 = a.length, n2 = b.length, swap = false;
  if (n1 > n2) { swap = true; [n1, n2] = [n2, n1]; }
  n2 = n1 > m ? n1 : Math.max(n1, m - n1);
  if (n1 + n2 > m) { n1 = Math.floor(m / 2); n2 = n1 + (m % 2); }
  if (swap) [n1, n2] = [n2, n1];
  return [a.slice(0, n1), b.slice(0, n2)];
}
function assemble(f, a, b) {
  if (f === 'gpt2') { const ids = b === null ? a : [...a, ...b]; return [ids, ids.map(() => 0)]; }
  const [cls, sep] = special_ids[f];
  let ids = [cls, ...a, sep], types = ids.map(() => 0);
  if (b !== null) {
    const tail = f === 'roberta' ? [sep, ...b, sep] : [...b, sep];
    ids = [...ids, ...tail];
    types = [...types, ...tail.map(() => (f === 'bert' ? 1 : 0))];
  }
  return [ids, types];
}
const cases = [];
let checked_pairs = 0;
for (const name of Object.keys(toks)) {
  const f = fam[name], added = (pair) => (f === 'bert' ? (pair ? 3 : 2) : f === 'roberta' ? (pair ? 4 : 2) : 0);
  const step = name === 'roberta-json' || name === 'bert-cased' ? 2 : 1; // fewer for the second folder of a kind
  for (let i = 0; i < texts.length; i += step) {
    const a = texts[i];
    const b = i % 3 === 0 ? texts[(i * 7 + 5) % texts.length] : null;
    const max_len = i % 4 === 0 ? 512 : Math.max(1, [added(b !== null), 5, 8, 12, 16, 33][i % 6] + (i % 4 === 1 ? added(b !== null) : 0));
    const ea = plain(name, a), eb = b === null ? null : plain(name, b);
    const [ta, tb] = longest_first(ea, eb, max_len - added(b !== null));
    const [ids, types] = assemble(f, ta, tb);
    // nothing cut: transformers.js's template agrees (its ByteLevel post-processor drops a GPT-2 pair's
    // second text, where Hugging Face's Rust one appends it: GPT-2 pairs are not checked this way)
    if (ta.length === ea.length && (eb === null || tb.length === eb.length) && !(f === 'gpt2' && b !== null)) {
      const r = toks[name]._tokenizer.encode(a, { text_pair: b, add_special_tokens: true });
      const rt = f === 'bert' ? r.token_type_ids : ids.map(() => 0);
      if (JSON.stringify(r.ids) !== JSON.stringify(ids) || (rt && JSON.stringify(rt) !== JSON.stringify(types)))
        throw new Error(`template mismatch for ${name} ${JSON.stringify(a)} / ${JSON.stringify(b)}: ${r.ids} vs ${ids}`);
      checked_pairs++;
    }
    cases.push({ tok: name, a, b, max_len, ids, types });
  }
}
w('expected.json', '[\n' + cases.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n');
console.log(`gen-tokenizer-fixtures: ${texts.length} strings, ${cases.length} cases, ${checked_pairs} checked against transformers.js's own template`);

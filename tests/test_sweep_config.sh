#!/bin/sh
# test_sweep_config.sh — `headsweep check` on sweep files: one small bad file
# per validation rule (each must exit 2 with a message naming the file, the
# line and the setting, and write nothing), a few accepted variants, and the
# shipped sweeps/quickstart.cfg (exit 0, the expected grid counts). TAP output.
set -u
HS=${HEADSWEEP:-./headsweep}
# the source tree: from the test environment's FIXTURES, else automake's srcdir
if [ -n "${FIXTURES:-}" ]; then top=${FIXTURES%/tests/fixtures}; else top=${srcdir:-.}; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# The base sweep: valid, every line number below refers to this layout.
cat >"$tmp/base.cfg" <<'EOF'
name = "t";
seeds = [1, 2];
model = { d_model = 32; heads = 4; layers = 1; };
train = { steps = 20; batch = 8; };
tasks = (
  { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 8;
    n_train = 64; n_prune = 16; n_test = 16; },
  { name = "cp"; kind = "synthetic"; generator = "copy"; seq_len = 8;
    n_train = 64; n_prune = 16; n_test = 16; }
);
methods = (
  { name = "random"; },
  { name = "michel"; step_fraction = 0.25; }
);
ratios = [0.0, 0.5];
EOF

# variant NAME LINE TEXT: base.cfg with line LINE replaced by TEXT (LINE 0:
# TEXT appended) as $tmp/NAME/bad.cfg, alone in its folder. With NEXT set,
# line LINE+1 is replaced by $NEXT too.
variant() {
    mkdir -p "$tmp/$1"
    if [ "$2" -eq 0 ]; then
        { cat "$tmp/base.cfg"; printf '%s\n' "$3"; } >"$tmp/$1/bad.cfg"
    else
        awk -v ln="$2" -v txt="$3" -v next_txt="${NEXT:-}" -v has_next="${NEXT+1}" \
            'NR == ln { print txt; next } NR == ln + 1 && has_next { print next_txt; next } { print }' \
            "$tmp/base.cfg" >"$tmp/$1/bad.cfg"
    fi
}

# bad NAME LINE TEXT PATTERN DESCRIPTION: the variant must fail with exit 2,
# the message must contain "bad.cfg:<line>:" and PATTERN (a fixed string),
# and the folder must hold nothing but the sweep file afterwards.
bad() {
    name=$1 line=$2 text=$3 pat=$4 desc=$5
    variant "$name" "$line" "$text"
    want_line=$line
    [ "$line" -eq 0 ] && want_line=$(($(wc -l <"$tmp/base.cfg") + 1))
    (cd "$tmp/$name" && "$HS" check bad.cfg >out 2>err; echo $? >rc)
    rc=$(cat "$tmp/$name/rc")
    err=$(cat "$tmp/$name/err")
    left=$(cd "$tmp/$name" && ls -A | grep -v -x -e bad.cfg -e out -e err -e rc | tr '\n' ' ')
    if [ "$rc" -eq 2 ] && printf '%s' "$err" | grep -q -F "bad.cfg:$want_line:" \
       && printf '%s' "$err" | grep -q -F -- "$pat" && [ -z "$left" ]; then
        ok "$desc (exit 2: $err)"
    else
        notok "$desc: exit $rc, want bad.cfg:$want_line: and '$pat'; stderr: $err; files left: $left"
    fi
}

# --- the base file is valid ----------------------------------------------------
if (cd "$tmp" && "$HS" check base.cfg >base.out 2>&1) \
   && grep -q "grid: 4 base jobs (2 tasks x 2 seeds), 16 points (2 tasks x 2 methods x 2 ratios x 2 seeds)" "$tmp/base.out" \
   && [ ! -e "$tmp/results" ]; then
    ok "the base sweep is valid, its grid is counted, nothing is written"
else
    notok "the base sweep: $(cat "$tmp/base.out")"
fi

# --- one bad file per rule ---------------------------------------------------------
bad syntax 4 'train = { steps = 20; batch = ; };' 'syntax error' "a syntax error names its line"
bad top_unknown 0 'frobnicate = 1;' 'frobnicate = 1: unknown setting' "an unknown top-level setting"
bad task_unknown 7 '    n_train = 64; n_prune = 16; n_test = 16; path = "x"; },' \
    'tasks[0].path = "x": unknown setting; expected one of the settings of a synthetic task' \
    "a setting that does not belong to the task's kind"
bad task_unknown_lists 7 '    n_train = 64; n_prune = 16; n_test = 16; seqlen = 8; },' \
    'generator, seq_len, symbols, brackets, n_train, n_prune, n_test' "the kind's settings are listed"
bad method_unknown 12 '  { name = "nosuch"; },' 'methods[0].name = "nosuch": expected a registered method: random, magnitude, michel' \
    "an unknown method lists the registered ones"
bad method_setting_unknown 13 '  { name = "michel"; steps = 3; }' \
    'methods[1].steps = 3: unknown setting; expected one of the settings of method michel' "an unknown method setting"
bad method_range 13 '  { name = "michel"; step_fraction = 2.0; }' 'methods[1].step_fraction = 2: expected a number in [0.001, 1]' \
    "a method setting out of range"
bad method_type 13 '  { name = "michel"; normalize = 1; }' 'methods[1].normalize = 1: expected true or false' \
    "a method setting of the wrong type"
bad method_choice 13 '  { name = "michel"; abs = "sum"; }' 'methods[1].abs = "sum": expected one of the strings example, batch' \
    "a method setting with a bad choice"
bad task_dup 8 '  { name = "maj"; kind = "synthetic"; generator = "copy"; seq_len = 8;' \
    'tasks[1].name = "maj": expected a unique task name' "duplicate task names"
bad label_dup 13 '  { name = "random"; }' 'methods[1].name = "random": expected a unique label' \
    "the same method twice without labels"
bad label_dup2 13 '  { name = "michel"; label = "random"; }' 'methods[1].label = "random": expected a unique label' \
    "duplicate labels"
bad ratio_one 15 'ratios = [0.0, 1.0];' 'ratios[1] = 1: expected a number in [0, 1)' "ratio 1.0"
bad ratio_negative 15 'ratios = [0.0, -0.1];' 'ratios[1] = -0.1: expected a number in [0, 1)' "ratio -0.1"
bad ratio_empty 15 'ratios = [];' 'ratios = []: expected a non-empty list' "empty ratios"
bad ratio_dup 15 'ratios = [0.5, 0.5];' 'ratios[1] = 0.5: expected distinct values' "duplicate ratios"
bad seeds_empty 2 'seeds = [];' 'seeds = []: expected a non-empty list' "empty seeds"
bad seeds_dup 2 'seeds = [1, 1];' 'seeds[1] = 1: expected distinct values' "duplicate seeds"
bad not_divisible 3 'model = { d_model = 30; heads = 4; layers = 1; };' 'model.d_model = 30: expected a multiple of heads = 4' \
    "d_model not divisible by heads"
bad kind_missing 6 '  { name = "maj"; generator = "majority"; seq_len = 8;' 'tasks[0].kind: missing' \
    "a task without kind (the task's line)"
bad kind_unknown 6 '  { name = "maj"; kind = "video"; generator = "majority"; seq_len = 8;' \
    'tasks[0].kind = "video": expected one of the strings synthetic, tsv, images, lm' "an unknown kind"
bad int_as_real 4 'train = { steps = 20.5; batch = 8; };' 'train.steps = 20.5: expected an integer' \
    "a fraction where an integer is expected"
bad string_as_int 4 'train = { steps = "20"; batch = 8; };' 'train.steps = "20": expected an integer' \
    "a string where an integer is expected"
bad task_model 9 '    n_train = 64; n_prune = 16; n_test = 16; model = { heads = 3; }; }' \
    'tasks[1].model.heads = 3: expected a divisor of d_model = 32' "a per-task model override is checked"
bad task_train_unknown 9 '    n_train = 64; n_prune = 16; n_test = 16; train = { epochs = 3; }; }' \
    "tasks[1].train.epochs = 3: unknown setting" "an unknown setting in a per-task train group"
bad group_type 0 'finetune = 5;' 'finetune = 5: expected a group' "a group given as a number"
bad generator 6 '  { name = "maj"; kind = "synthetic"; generator = "nosuch"; seq_len = 8;' \
    'tasks[0].generator = "nosuch": expected one of the strings copy, reverse' "an unknown generator"
bad task_open 6 '  { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 3000000;' \
    'tasks[0].seq_len = 3000000: expected an integer in 2..4096' "a task setting out of range"
bad task_data 6 '  { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 2;' \
    'tasks[0] (maj): setting seq_len = 2: expected 3..4096 for generator majority' \
    "errors from opening the task point at the task's entry"
NEXT='  },'
bad tsv_missing 6 '  { name = "maj"; kind = "tsv"; path = "no/such/folder";' \
    'tasks[0] (maj): path no/such/folder: cannot open' "a missing data folder surfaces in check"
unset NEXT
bad mixed_array 15 'ratios = [0, 0.5];' 'write 0.0, not 0' "an array mixing 0 and 0.5 explains libconfig's rule"

# --- accepted variants ------------------------------------------------------------
good() {
    name=$1 line=$2 text=$3 pat=$4 desc=$5
    variant "$name" "$line" "$text"
    if (cd "$tmp/$name" && "$HS" check bad.cfg >out 2>&1) && grep -q -F -- "$pat" "$tmp/$name/out"; then
        ok "$desc"
    else
        notok "$desc: $(cat "$tmp/$name/out")"
    fi
}
good int_for_real 4 'train = { steps = 1e2; batch = 8; lr = 1; };' 'train: 100 steps, batch 8, lr 1,' \
    "1e2 for an integer and 1 for a real are accepted"
good lists 15 'ratios = (0, 0.25, 0.5);' 'ratios: 0, 0.25, 0.5' "a list ( ) may mix 0 and 0.5"
good labels 13 '  { name = "michel"; }, { name = "michel"; label = "michel-iter"; reestimate = true; }' \
    'michel-iter      michel: normalize = true, reestimate = true' "the same method twice with a label"

# --- usage ------------------------------------------------------------------------
"$HS" check "$tmp/none.cfg" >/dev/null 2>"$tmp/err"
if [ $? -eq 2 ] && grep -q "cannot open sweep file $tmp/none.cfg" "$tmp/err"; then ok "a missing sweep file"; else notok "a missing sweep file: $(cat "$tmp/err")"; fi
"$HS" check >/dev/null 2>"$tmp/err"
if [ $? -eq 2 ] && grep -q "expected exactly one SWEEP.cfg" "$tmp/err"; then ok "check without a file"; else notok "check without a file"; fi
if "$HS" check --help | grep -q "usage: headsweep check"; then ok "check --help"; else notok "check --help"; fi

# --- the shipped sweeps ------------------------------------------------------------
mkdir -p "$tmp/qs"
if (cd "$tmp/qs" && "$HS" check "$top/sweeps/quickstart.cfg" >out 2>&1) \
   && grep -q "grid: 6 base jobs (3 tasks x 2 seeds), 168 points (3 tasks x 4 methods x 7 ratios x 2 seeds)" "$tmp/qs/out" \
   && grep -q "^  total .*core-hours" "$tmp/qs/out" && [ "$(ls -A "$tmp/qs")" = out ]; then
    ok "sweeps/quickstart.cfg is valid: 6 base jobs, 168 points, a cost estimate, nothing written"
else
    notok "sweeps/quickstart.cfg: $(cat "$tmp/qs/out")"
fi
if "$HS" check "$top/sweeps/michel.cfg" >"$tmp/michel.out" 2>&1 \
   && grep -q "grid: 9 base jobs (3 tasks x 3 seeds), 720 points" "$tmp/michel.out"; then
    ok "sweeps/michel.cfg is valid: 9 base jobs, 720 points"
else
    notok "sweeps/michel.cfg: $(cat "$tmp/michel.out")"
fi
# the other shipped studies on synthetic data (the SpamAssassin ones need the download)
for f in methods-i methods-ii mae voita; do
    if "$HS" check "$top/sweeps/$f.cfg" >"$tmp/$f.out" 2>&1 && grep -q "^  total .*core-hours" "$tmp/$f.out"; then
        ok "sweeps/$f.cfg is valid, with a cost estimate"
    else
        notok "sweeps/$f.cfg: $(cat "$tmp/$f.out")"
    fi
done

tap_done

# small_sweep.sh — the small sweep the MPI shell tests run (test_run,
# test_torture, test_diskfull, test_hosts, test_slurm), sourced after tap.sh.
# Uses the caller's $tmp and $HS.
#
#   small_sweep NAME OUTPUT [SETTING...]
#       writes $tmp/NAME.cfg: 2 seeds of a majority task, 4 methods (random,
#       magnitude, michel, greedy); model, train, ratios and run have the
#       defaults below unless a SETTING line sets them (libconfig refuses a
#       setting given twice); other SETTING lines are appended
#   done_count FILE
#       the number of points `headsweep status` reports done (nothing if it
#       cannot read the file)
small_sweep() {
    _name=$1 _out=$2
    shift 2
    {
        echo "name = \"$_name\";"
        echo "output = \"$_out\";"
        echo "seeds = [1, 2];"
        echo 'tasks = ( { name = "maj"; kind = "synthetic"; generator = "majority"; seq_len = 12; symbols = 3;'
        echo '            n_train = 2000; n_prune = 256; n_test = 512; } );'
        echo 'methods = ( { name = "random"; }, { name = "magnitude"; }, { name = "michel"; }, { name = "greedy"; } );'
        for _d in 'model = { d_model = 32; heads = 4; layers = 2; d_ff = 64; };' \
                  'train = { steps = 150; batch = 32; lr = 3e-3; };' \
                  'ratios = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];' \
                  'run = { latency_repeats = 1; };'; do
            _given=0
            for _s in "$@"; do
                case $_s in "${_d%% *} "*) _given=1 ;; esac
            done
            [ $_given = 1 ] || echo "$_d"
        done
        for _s in "$@"; do echo "$_s"; done
    } >"$tmp/$_name.cfg"
}

done_count() {
    $HS status "$1" 2>/dev/null | sed -n 's/^  points: *\([0-9]*\) done.*/\1/p'
}

# wait_done FILE N: until N points are done in FILE (or 60 s)
wait_done() {
    _i=0
    while [ $_i -lt 600 ]; do
        _d=$(done_count "$1")
        [ -n "$_d" ] && [ "$_d" -ge "$2" ] && return 0
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}

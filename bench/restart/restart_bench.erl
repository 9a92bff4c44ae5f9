%% The OTP peer of `edge-video-bench restart`: a one_for_all supervisor of N idle workers; kill
%% one, time until all N run again (every worker stamps its own start), print one JSON line.
%% Run: erl -noshell -pa DIR -run restart_bench main 4 20000 2000
-module(restart_bench).
-behaviour(supervisor).
-export([main/1, init/1, start_worker/2]).

main([ChildrenS, ItersS, WarmupS]) ->
    N = list_to_integer(ChildrenS),
    Iters = list_to_integer(ItersS),
    Warmup = list_to_integer(WarmupS),
    %% No reports per restart: the Swift side runs with a no-op logger too.
    ok = logger:set_primary_config(level, none),
    {ok, Sup} = supervisor:start_link(?MODULE, {N, self()}),
    {Pids, _} = collect(N, #{}, undefined),
    Samples = lists:sort(loop(Warmup + Iters, Iters, Pids, N, [])),
    Len = length(Samples),
    Q = fun(F) -> lists:nth(min(Len, trunc(Len * F) + 1), Samples) / 1000 end,
    io:format("{\"bench\":\"restart\",\"impl\":\"otp\",\"otp_release\":\"~s\",\"strategy\":\"one_for_all\","
              "\"children\":~b,\"iterations\":~b,\"restart_p50_us\":~.2f,\"restart_p90_us\":~.2f,"
              "\"restart_p99_us\":~.2f,\"restart_max_us\":~.2f}~n",
              [erlang:system_info(otp_release), N, Iters, Q(0.5), Q(0.9), Q(0.99), Q(1.0)]),
    unlink(Sup),
    exit(Sup, shutdown),
    halt(0).

%% Left counts down; only the last Iters restarts are kept.
loop(0, _Iters, _Pids, _N, Acc) -> Acc;
loop(Left, Iters, Pids, N, Acc) ->
    Victim = maps:get(1, Pids),
    T0 = erlang:monotonic_time(nanosecond),
    exit(Victim, kill),
    {NewPids, T1} = collect(N, #{}, undefined),
    Acc1 = case Left =< Iters of
               true -> [T1 - T0 | Acc];
               false -> Acc
           end,
    loop(Left - 1, Iters, NewPids, N, Acc1).

%% Waits for N fresh `started` messages; returns the pids by index and the last start time.
collect(0, Pids, Last) -> {Pids, Last};
collect(K, Pids, Last) ->
    receive
        {started, Index, Pid, T} when Last =:= undefined -> collect(K - 1, Pids#{Index => Pid}, T);
        {started, Index, Pid, T} -> collect(K - 1, Pids#{Index => Pid}, max(Last, T))
    end.

init({N, Bench}) ->
    Flags = #{strategy => one_for_all, intensity => 1000000000, period => 1},
    Specs = [#{id => I, start => {?MODULE, start_worker, [I, Bench]}} || I <- lists:seq(0, N - 1)],
    {ok, {Flags, Specs}}.

start_worker(Index, Bench) ->
    Pid = spawn_link(fun() ->
        Bench ! {started, Index, self(), erlang:monotonic_time(nanosecond)},
        idle()
    end),
    {ok, Pid}.

idle() ->
    receive _ -> idle() end.

#!/usr/bin/env escript
%%! -noshell
%% Runs supervision schedules on Erlang/OTP's own `supervisor` and prints one normalised trace per
%% schedule, the reference that Tests/SupervisionTests/OTPDifferentialTests.swift compares
%% `Supervision` with. Usage: otp_supervisor_trace.escript SCHEDULES_FILE TRACE_FILE
%%
%% Schedule file (one schedule after another):
%%   S <n>
%%   N <id> <parent|-> sup <strategy> <intensity> <period> <restart>    (tree in start order)
%%   N <id> <parent> worker <restart> <crash_on_stop 0|1>
%%   O crash <id> | O finish <id> | O arm <id> <count>
%%   O add <sup> <id> <restart> | O del <sup> <id>
%%   O tick <seconds>                                          (advances the virtual clock)
%%   E
%% Trace: `S n`, then `start <id>`, `stop <id>`, `escalate <sup>`, each operation as its `O ...`
%% line (followed by `= skip`, `= duplicate` or `= notfound` when it did nothing), a `T <tree>`
%% dump at each quiescent point (`+` running, `-` not running), and `E`.
%%
%% Time: `supervisor` reads the clock in one place, `erlang:monotonic_time(1)` when it counts a
%% restart against its intensity. The script loads a copy of the installed `supervisor`, compiled
%% from that module's own abstract code with only that call redirected to a virtual clock in whole
%% seconds (`monotonic_time/1` below). Each schedule starts it at 0, and only `O tick` moves it, so
%% the restart window is compared at its boundary without sleeping.
-module(otp_supervisor_trace).
-mode(compile).
-behaviour(supervisor).
-export([main/1, init/1, start_sup/1, start_worker/1, log/2, monotonic_time/1]).

main([In, Out]) ->
    ok = load_supervisor_on_virtual_clock(),
    ok = logger:remove_handler(default),
    ok = logger:add_handler(trace_escalations, ?MODULE, #{level => all}),
    process_flag(trap_exit, true),
    ets:new(trace, [named_table, public, ordered_set]),
    ets:new(conf, [named_table, public, set]),
    ets:new(arm, [named_table, public, set]),
    ets:new(clock, [named_table, public, set]),
    {ok, Bin} = file:read_file(In),
    Lines = [string:split(binary_to_list(L), " ", all) || L <- binary:split(Bin, <<"\n">>, [global, trim_all])],
    {ok, F} = file:open(Out, [write]),
    run_all(Lines, F),
    ok = file:close(F);
main(_) ->
    io:format(standard_error, "usage: otp_supervisor_trace.escript SCHEDULES TRACE~n", []),
    halt(2).

run_all([], _F) -> ok;
run_all([["S", N] | Rest], F) ->
    {Nodes, Ops, Rest2} = read_schedule(Rest, [], []),
    run_schedule(N, Nodes, Ops, F),
    run_all(Rest2, F).

read_schedule([["E"] | Rest], Nodes, Ops) -> {lists:reverse(Nodes), lists:reverse(Ops), Rest};
read_schedule([["N" | Node] | Rest], Nodes, Ops) -> read_schedule(Rest, [Node | Nodes], Ops);
read_schedule([["O" | Op] | Rest], Nodes, Ops) -> read_schedule(Rest, Nodes, [Op | Ops]).

%% ---- one schedule ----

run_schedule(N, Nodes, Ops, F) ->
    ets:delete_all_objects(trace),
    ets:delete_all_objects(conf),
    ets:delete_all_objects(arm),
    ets:insert(clock, {now, 0}),
    [Root | _] = [list_to_atom(Id) || [Id, "-" | _] <- Nodes],
    lists:foreach(fun(Node) -> configure(Node, Nodes) end, Nodes),
    trace(["S ", N]),
    {ok, RootPid} = start_sup(Root),
    Tree = {Root, RootPid},
    quiesce(Tree),
    Ended = run_ops(Ops, Tree),
    case Ended of
        false ->
            Ref = monitor(process, RootPid),
            unlink(RootPid),
            exit(RootPid, shutdown),
            receive {'DOWN', Ref, process, RootPid, _} -> ok end;
        true ->
            ok
    end,
    flush_exits(),
    trace(["E"]),
    [io:put_chars(F, [Line, $\n]) || {_, Line} <- ets:tab2list(trace)],
    ok.

configure([Id, _Parent, "sup", Strategy, Intensity, Period, _Restart], Nodes) ->
    Children = [child_spec(Node) || Node = [_, P | _] <- Nodes, P =:= Id],
    ets:insert(conf, {list_to_atom(Id), {sup, list_to_atom(Strategy), list_to_integer(Intensity),
                                         list_to_integer(Period), Children}});
configure([Id, _Parent, "worker", _Restart, CrashOnStop], _Nodes) ->
    ets:insert(conf, {list_to_atom(Id), {worker, CrashOnStop =:= "1"}}).

child_spec([Id, _, "sup", _, _, _, Restart]) ->
    A = list_to_atom(Id),
    #{id => A, start => {?MODULE, start_sup, [A]}, restart => list_to_atom(Restart),
      shutdown => infinity, type => supervisor};
child_spec([Id, _, "worker", Restart, _]) ->
    A = list_to_atom(Id),
    #{id => A, start => {?MODULE, start_worker, [A]}, restart => list_to_atom(Restart),
      shutdown => 5000, type => worker}.

flush_exits() ->
    receive {'EXIT', _, _} -> flush_exits() after 0 -> ok end.

%% ---- operations ----

run_ops([], _Tree) -> false;
run_ops([Op | Ops], Tree = {_Root, RootPid}) ->
    trace(["O " | lists:join(" ", Op)]),
    Result = op(Op, Tree),
    Result =/= ok andalso trace(["= ", Result]),
    quiesce(Tree),
    case is_process_alive(RootPid) of
        true -> run_ops(Ops, Tree);
        false -> true
    end.

op(["crash", Id], _Tree) -> signal_worker(list_to_atom(Id), crash);
op(["finish", Id], _Tree) -> signal_worker(list_to_atom(Id), finish);
op(["arm", Id, Count], _Tree) ->
    ets:insert(arm, {list_to_atom(Id), list_to_integer(Count)}),
    ok;
op(["tick", Seconds], _Tree) ->
    ets:update_counter(clock, now, list_to_integer(Seconds)),
    ok;
op(["add", Sup, Id, Restart], _Tree) ->
    with_sup(list_to_atom(Sup), fun(Pid) ->
        A = list_to_atom(Id),
        ets:insert_new(conf, {A, {worker, false}}),
        Spec = #{id => A, start => {?MODULE, start_worker, [A]}, restart => list_to_atom(Restart),
                 shutdown => 5000, type => worker},
        case supervisor:start_child(Pid, Spec) of
            {ok, _} -> ok;
            {error, {already_started, _}} -> "duplicate";
            {error, already_present} -> "duplicate"
        end
    end);
op(["del", Sup, Id], _Tree) ->
    with_sup(list_to_atom(Sup), fun(Pid) ->
        A = list_to_atom(Id),
        case supervisor:terminate_child(Pid, A) of
            ok -> _ = supervisor:delete_child(Pid, A), ok;
            {error, not_found} -> "notfound"
        end
    end).

with_sup(Sup, Fun) ->
    case whereis(Sup) of
        undefined -> "skip";
        Pid -> Fun(Pid)
    end.

%% Makes a running worker crash or return, and waits until it is dead.
signal_worker(Id, Signal) ->
    case ets:lookup(conf, {pid, Id}) of
        [{_, Pid}] ->
            case is_process_alive(Pid) of
                true ->
                    Ref = monitor(process, Pid),
                    Pid ! Signal,
                    receive {'DOWN', Ref, process, Pid, _} -> ok end;
                false ->
                    "skip"
            end;
        [] ->
            "skip"
    end.

%% ---- quiescence and the tree dump ----

%% Calls every live supervisor top-down until no listed child is dead (an exit on its way) and two
%% passes in a row see the same tree and trace.
quiesce(Tree) -> quiesce(Tree, none).

quiesce(Tree, Previous) ->
    {Dump, InFlight} = dump(Tree),
    Now = {Dump, ets:info(trace, size)},
    case not InFlight andalso Now =:= Previous of
        true -> trace(["T ", Dump]);
        false -> quiesce(Tree, Now)
    end.

dump({Root, _}) ->
    case whereis(Root) of
        undefined -> {atom_to_list(Root) ++ "-", false};
        Pid -> dump_sup(Root, Pid)
    end.

dump_sup(Id, Pid) ->
    case catch supervisor:which_children(Pid) of
        Children when is_list(Children) ->
            Parts = [dump_child(C) || C <- lists:reverse(Children)],
            Strings = [S || {S, _} <- Parts],
            InFlight = lists:any(fun({_, I}) -> I end, Parts),
            {atom_to_list(Id) ++ "[" ++ lists:join(",", Strings) ++ "]", InFlight};
        _ ->
            {atom_to_list(Id) ++ "-", true}
    end.

dump_child({Id, Pid, worker, _}) when is_pid(Pid) ->
    {atom_to_list(Id) ++ "+", not is_process_alive(Pid)};
dump_child({Id, Pid, supervisor, _}) when is_pid(Pid) ->
    case is_process_alive(Pid) of
        true -> dump_sup(Id, Pid);
        false -> {atom_to_list(Id) ++ "-", true}
    end;
dump_child({Id, _, _, _}) ->
    {atom_to_list(Id) ++ "-", false}.

%% ---- children ----

start_sup(Id) ->
    supervisor:start_link({local, Id}, ?MODULE, Id).

init(Id) ->
    [{_, {sup, Strategy, Intensity, Period, Children}}] = ets:lookup(conf, Id),
    {ok, {#{strategy => Strategy, intensity => Intensity, period => Period}, Children}}.

%% Called in the supervisor: an armed worker dies right after it started, before the supervisor
%% handles any other message (its exit is already queued when this returns).
start_worker(Id) ->
    trace(["start ", atom_to_list(Id)]),
    [{_, {worker, CrashOnStop}}] = ets:lookup(conf, Id),
    case ets:lookup(arm, Id) of
        [{_, Count}] when Count > 0 ->
            ets:insert(arm, {Id, Count - 1}),
            Pid = spawn_link(fun() -> receive go -> exit(crash) end end),
            Ref = monitor(process, Pid),
            Pid ! go,
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            ets:insert(conf, {{pid, Id}, Pid}),
            {ok, Pid};
        _ ->
            Parent = self(),
            Pid = spawn_link(fun() -> worker(Id, Parent, CrashOnStop) end),
            receive {ready, Pid} -> ok end,
            ets:insert(conf, {{pid, Id}, Pid}),
            {ok, Pid}
    end.

%% Traps exits before it acknowledges its start, so that every stop is seen and traced.
worker(Id, Parent, CrashOnStop) ->
    process_flag(trap_exit, true),
    Parent ! {ready, self()},
    receive
        {'EXIT', Parent, _} ->
            trace(["stop ", atom_to_list(Id)]),
            exit(case CrashOnStop of true -> crash_on_stop; false -> shutdown end);
        crash -> exit(crash);
        finish -> exit(normal)
    end.

%% ---- the virtual clock ----

%% What `supervisor` calls instead of `erlang:monotonic_time/1`: the schedule's virtual seconds.
monotonic_time(Unit) when Unit =:= 1; Unit =:= second ->
    ets:lookup_element(clock, now, 2).

%% Recompiles the installed `supervisor` from its own abstract code, with its calls to
%% `erlang:monotonic_time/1` (exactly one is expected) calling `monotonic_time/1` above, and loads
%% it in place of the original before any schedule runs.
load_supervisor_on_virtual_clock() ->
    File = code:which(supervisor),
    {ok, {supervisor, [{abstract_code, {raw_abstract_v1, Forms}}]}} = beam_lib:chunks(File, [abstract_code]),
    {Rewritten, Calls} = lists:mapfoldl(fun redirect_clock/2, 0, Forms),
    Calls =:= 1 orelse error({supervisor_reads_the_clock, Calls, times}),
    {ok, supervisor, Beam} = compile:forms(Rewritten, [binary, return_errors]),
    _ = code:unstick_mod(supervisor),
    {module, supervisor} = code:load_binary(supervisor, File, Beam),
    ok.

redirect_clock({call, A, {remote, R, {atom, M, erlang}, {atom, F, monotonic_time}}, [Arg]}, Calls) ->
    {{call, A, {remote, R, {atom, M, ?MODULE}, {atom, F, monotonic_time}}, [Arg]}, Calls + 1};
redirect_clock(Tuple, Calls) when is_tuple(Tuple) ->
    {List, Calls1} = redirect_clock(tuple_to_list(Tuple), Calls),
    {list_to_tuple(List), Calls1};
redirect_clock(List, Calls) when is_list(List) ->
    lists:mapfoldl(fun redirect_clock/2, Calls, List);
redirect_clock(Term, Calls) ->
    {Term, Calls}.

%% ---- trace ----

trace(Line) ->
    ets:insert(trace, {erlang:unique_integer([monotonic]), lists:flatten(Line)}).

%% Logger handler: OTP reports a supervisor giving up before it stops its children.
log(#{msg := {report, #{label := {supervisor, shutdown}, report := Report}}}, _Config) ->
    case proplists:get_value(supervisor, Report) of
        {local, Name} -> trace(["escalate ", atom_to_list(Name)]);
        _ -> ok
    end;
log(_, _) ->
    ok.

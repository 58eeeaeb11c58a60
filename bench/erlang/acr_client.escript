#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell +sbwt none +sbwtdcpu none +sbwtdio none
%%
%% The baseline of the load-generator benchmark (bench/loadgen.ts): an Erlang/OTP diameter client that
%% generates the same closed-loop Rf traffic as `diamkit load --concurrency N --holding 0`: N accounting
%% sessions in flight, each START (record 0) then STOP (record 1) on a fresh Session-Id, one request after
%% the answer to the previous one (RFC 6733 §9.8.3 numbering). It advertises base accounting (application
%% 3) and builds its ACRs with OTP's stock RFC 6733 accounding dictionary (diameter_gen_acct_rfc6733); the
%% 3GPP AVPs it does not know (Service-Context-Id, Service-Information) are given as raw AVPs, so its
%% requests carry the same AVPs, of the same sizes, as diamkit's built-in IMS template.
%%
%%   escript acr_client.escript PORT CONCURRENCY WARMUP_MS DURATION_MS ORIGIN_HOST ORIGIN_REALM
%%           DEST_REALM USER_NAME SERVICE_CONTEXT_ID START_SI_HEX STOP_SI_HEX
%%
%% START_SI_HEX / STOP_SI_HEX: the whole Service-Information AVP (header included) of START and STOP.
%% The emulator flags above stop idle schedulers from busy-waiting, so the CPU time the benchmark reads
%% from /proc is work, not spinning. Printed lines:
%%   PID OsPid                                   at once (the benchmark reads /proc/OsPid/stat)
%%   MEASURE start Answered MonotonicMicros      when the warm-up is over
%%   MEASURE end Answered MonotonicMicros Errors when the measured part is over
%%   DONE
%% Bounded: every request times out after 5 s; the run ends after WARMUP_MS + DURATION_MS (+ 10 s).

-mode(compile).

-include_lib("diameter/include/diameter.hrl").
-include_lib("diameter/include/diameter_gen_acct_rfc6733.hrl").

-export([peer_up/3, peer_down/3, pick_peer/4, prepare_request/3, prepare_retransmit/3,
         handle_answer/4, handle_error/4, handle_request/3]).

-define(SVC, diamkit_bench_acr_client).
-define(MAIN, diamkit_bench_acr_main).
-define(START, 2).
-define(STOP, 4).

main([PortS, ConcS, WarmS, DurS, OriginHost, OriginRealm, DestRealm, UserName, Scid, StartHex, StopHex]) ->
    io:format("PID ~s~n", [os:getpid()]),
    register(?MAIN, self()),
    ok = diameter:start(),
    ok = diameter:start_service(?SVC, [{'Origin-Host', OriginHost},
                                       {'Origin-Realm', OriginRealm},
                                       {'Vendor-Id', 0},
                                       {'Product-Name', "diamkit-bench-erlang-client"},
                                       {'Acct-Application-Id', [3]},
                                       {'Supported-Vendor-Id', [10415]},
                                       {decode_format, record},
                                       {string_decode, false},
                                       {application, [{alias, common},
                                                      {dictionary, diameter_gen_base_rfc6733},
                                                      {module, ?MODULE}]},
                                       {application, [{alias, acct},
                                                      {dictionary, diameter_gen_acct_rfc6733},
                                                      {module, ?MODULE}]}]),
    {ok, _Ref} = diameter:add_transport(?SVC, {connect, [{transport_module, diameter_tcp},
                                                         {transport_config,
                                                          [{raddr, {127, 0, 0, 1}},
                                                           {rport, list_to_integer(PortS)},
                                                           {ip, {127, 0, 0, 1}}]},
                                                         {connect_timer, 30000}]}),
    receive
        peer_up -> ok
    after 10000 ->
        io:format("FAIL no peer_up within 10 s~n"),
        halt(1)
    end,
    Raw = fun(Hex) ->
              <<Code:32, Flags:8, Len:24, Vendor:32, Rest/binary>> = binary:decode_hex(list_to_binary(Hex)),
              DataLen = Len - 12,
              <<Data:DataLen/binary, _/binary>> = Rest,
              #diameter_avp{code = Code, vendor_id = Vendor, is_mandatory = (Flags band 16#40) /= 0,
                            need_encryption = false, data = Data}
          end,
    ScidAvp = #diameter_avp{code = 461, is_mandatory = true, need_encryption = false,
                            data = list_to_binary(Scid)},
    Ctx = #{origin_host => OriginHost, origin_realm => OriginRealm, dest_realm => DestRealm,
            user => UserName, start => [ScidAvp, Raw(StartHex)], stop => [ScidAvp, Raw(StopHex)]},
    Answered = counters:new(2, [write_concurrency]),
    Stop = atomics:new(1, []),
    Conc = list_to_integer(ConcS),
    Pids = [spawn(fun() -> loop(Ctx, Answered, Stop) end) || _ <- lists:seq(1, Conc)],
    timer:sleep(list_to_integer(WarmS)),
    io:format("MEASURE start ~p ~p~n", [counters:get(Answered, 1), erlang:monotonic_time(microsecond)]),
    timer:sleep(list_to_integer(DurS)),
    io:format("MEASURE end ~p ~p ~p~n", [counters:get(Answered, 1), erlang:monotonic_time(microsecond),
                                         counters:get(Answered, 2)]),
    atomics:put(Stop, 1, 1),
    Refs = [monitor(process, P) || P <- Pids],
    [receive {'DOWN', R, _, _, _} -> ok after 10000 -> ok end || R <- Refs],
    io:format("DONE~n"),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: acr_client.escript PORT CONCURRENCY WARMUP_MS DURATION_MS "
              "ORIGIN_HOST ORIGIN_REALM DEST_REALM USER_NAME SERVICE_CONTEXT_ID START_SI_HEX STOP_SI_HEX~n", []),
    halt(2).

%% One slot of the closed loop: sessions back to back until told to stop.
loop(Ctx, Answered, Stop) ->
    case atomics:get(Stop, 1) of
        1 -> ok;
        _ ->
            Sid = diameter:session_id(maps:get(origin_host, Ctx)),
            send(Sid, ?START, 0, maps:get(start, Ctx), Ctx, Answered),
            send(Sid, ?STOP, 1, maps:get(stop, Ctx), Ctx, Answered),
            loop(Ctx, Answered, Stop)
    end.

send(Sid, Type, Num, Extra, Ctx, Answered) ->
    #{origin_host := OH, origin_realm := OR, dest_realm := DR, user := User} = Ctx,
    Acr = #diameter_base_accounting_ACR{'Session-Id' = Sid,
                                        'Origin-Host' = OH,
                                        'Origin-Realm' = OR,
                                        'Destination-Realm' = DR,
                                        'Accounting-Record-Type' = Type,
                                        'Accounting-Record-Number' = Num,
                                        'Acct-Application-Id' = [3],
                                        'User-Name' = [User],
                                        'Event-Timestamp' = [calendar:universal_time()],
                                        'AVP' = Extra},
    case diameter:call(?SVC, acct, Acr, [{timeout, 5000}]) of
        #diameter_base_accounting_ACA{'Result-Code' = 2001} -> counters:add(Answered, 1, 1);
        _ -> counters:add(Answered, 2, 1)
    end.

%% ---------------------------------------------------------------------------------------------
%% diameter_app callbacks

peer_up(_Svc, _Peer, State) ->
    ?MAIN ! peer_up,
    State.

peer_down(_Svc, _Peer, State) -> State.

pick_peer([Peer | _], _, _Svc, _State) -> {ok, Peer};
pick_peer([], _, _Svc, _State) -> false.

prepare_request(Pkt, _Svc, _Peer) -> {send, Pkt}.

prepare_retransmit(Pkt, _Svc, _Peer) -> {send, Pkt}.

handle_answer(#diameter_packet{msg = Msg}, _Req, _Svc, _Peer) -> Msg.

handle_error(Reason, _Req, _Svc, _Peer) -> {error, Reason}.

handle_request(_Pkt, _Svc, _Peer) -> discard.

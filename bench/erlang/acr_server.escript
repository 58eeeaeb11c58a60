#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% The baseline of the server benchmark (bench/server.ts): an Erlang/OTP diameter server that answers
%% every ACR with ACA 2001 and stores nothing. It listens on 127.0.0.1 (port 0: an ephemeral port),
%% advertises base accounting (application 3, the stock RFC 6733 accounting dictionary, messages decoded
%% to records) and accepts any number of peers.
%%
%%   escript acr_server.escript ORIGIN_HOST ORIGIN_REALM MAX_SECONDS
%%
%% Prints "LISTENING Port" once ready. Exits when its stdin closes, or after MAX_SECONDS.

-mode(compile).

-include_lib("diameter/include/diameter.hrl").
-include_lib("diameter/include/diameter_gen_acct_rfc6733.hrl").

-export([peer_up/3, peer_down/3, pick_peer/4, prepare_request/3, prepare_retransmit/3,
         handle_answer/4, handle_error/4, handle_request/3]).

-define(SVC, diamkit_bench_acr_server).

main([OriginHost, OriginRealm, MaxSeconds]) ->
    ok = diameter:start(),
    ok = diameter:start_service(?SVC, [{'Origin-Host', OriginHost},
                                       {'Origin-Realm', OriginRealm},
                                       {'Vendor-Id', 0},
                                       {'Product-Name', "diamkit-bench-erlang"},
                                       {'Acct-Application-Id', [3]},
                                       {decode_format, record},
                                       {strict_mbit, false},
                                       {application, [{alias, acct},
                                                      {dictionary, diameter_gen_acct_rfc6733},
                                                      {module, ?MODULE}]}]),
    {ok, Ref} = diameter:add_transport(?SVC, {listen, [{transport_module, diameter_tcp},
                                                       {transport_config, [{reuseaddr, true},
                                                                           {ip, {127, 0, 0, 1}},
                                                                           {port, 0}]}]}),
    Port = listen_port(Ref, 100),
    io:format("LISTENING ~p~n", [Port]),
    wait_for_stdin_close(list_to_integer(MaxSeconds) * 1000),
    diameter:stop_service(?SVC),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: acr_server.escript ORIGIN_HOST ORIGIN_REALM MAX_SECONDS~n", []),
    halt(2).

%% The listener registers its port shortly after add_transport returns: poll for it (bounded).
listen_port(_Ref, 0) ->
    erlang:error(no_listen_port);
listen_port(Ref, N) ->
    case diameter_tcp:ports(Ref) of
        [{listen, Port, _} | _] -> Port;
        _ -> timer:sleep(50), listen_port(Ref, N - 1)
    end.

wait_for_stdin_close(Ms) ->
    Self = self(),
    spawn_link(fun() -> read_until_eof(), Self ! stdin_closed end),
    receive stdin_closed -> ok after Ms -> ok end.

read_until_eof() ->
    case io:get_line("") of
        eof -> ok;
        {error, _} -> ok;
        _ -> read_until_eof()
    end.

%% ---------------------------------------------------------------------------------------------
%% diameter_app callbacks: a server only answers.

peer_up(_Svc, _Peer, State) -> State.

peer_down(_Svc, _Peer, State) -> State.

pick_peer([Peer | _], _, _Svc, _State) -> {ok, Peer};
pick_peer([], _, _Svc, _State) -> false.

prepare_request(Pkt, _Svc, _Peer) -> {send, Pkt}.

prepare_retransmit(Pkt, _Svc, _Peer) -> {send, Pkt}.

handle_answer(Pkt, _Req, _Svc, _Peer) -> {ok, Pkt#diameter_packet.msg}.

handle_error(Reason, _Req, _Svc, _Peer) -> {error, Reason}.

%% The 3GPP AVPs (Service-Information, Service-Context-Id) are not in the RFC 6733 dictionary; with
%% strict_mbit false their M bit is not an error (else diameter itself would turn the ACA into 5001).
handle_request(#diameter_packet{msg = Req}, _Svc, {_, Caps}) ->
    #diameter_caps{origin_host = {OH, _}, origin_realm = {OR, _}} = Caps,
    case Req of
        #diameter_base_accounting_ACR{'Session-Id' = Sid,
                                      'Accounting-Record-Type' = Type,
                                      'Accounting-Record-Number' = Num} ->
            {reply, #diameter_base_accounting_ACA{'Session-Id' = Sid,
                                                  'Result-Code' = 2001,
                                                  'Origin-Host' = OH,
                                                  'Origin-Realm' = OR,
                                                  'Accounting-Record-Type' = Type,
                                                  'Accounting-Record-Number' = Num,
                                                  'Acct-Application-Id' = [3]}};
        _ ->
            discard
    end.

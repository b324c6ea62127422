main(_) ->
    Name = string:trim(io:get_line("What is your name? ")),
    io:format("Hello, ~s!~n", [Name]).

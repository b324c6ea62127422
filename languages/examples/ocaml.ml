let () =
  print_string "What is your name? ";
  flush stdout;
  let name = try read_line () with End_of_file -> "" in
  Printf.printf "Hello, %s!\n" name

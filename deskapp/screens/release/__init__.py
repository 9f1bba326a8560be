"""Release slips (物品放行条): the desk's F6 screen and the guard's gate screen."""

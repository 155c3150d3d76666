// Inbox live updates: placeholder until the realtime client lands; the lists poll meanwhile.

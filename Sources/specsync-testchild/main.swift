print("testchild")

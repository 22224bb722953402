"""The Qt interface: widgets, item models, dialogs and the background task runner.

The only package (with app.py) that imports Qt; everything here calls services/ and store/.
"""

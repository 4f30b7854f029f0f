"""Builds the turntable scene with Blender's Python and saves it as a .blend, so the example ships no binary.

    blender -b --factory-startup --python make_scene.py -- OUT.blend [--width 320] [--height 180]
            [--samples 16] [--frames 24]

A monkey head, a torus and a cube on a floor, a sun and a sky colour; the camera circles the
objects once over FRAMES frames. Cycles on the CPU with a fixed seed and no adaptive sampling, so a
frame renders the same on every host with the same Blender.
"""

import argparse
import math
import os
import sys

import bpy


def arguments():
    parser = argparse.ArgumentParser(prog="make_scene.py")
    parser.add_argument("output")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=180)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--frames", type=int, default=24)
    return parser.parse_args(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else [])


def material(name, rgba, roughness=0.5, metallic=0.0):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    shader = mat.node_tree.nodes["Principled BSDF"]
    shader.inputs["Base Color"].default_value = rgba
    shader.inputs["Roughness"].default_value = roughness
    shader.inputs["Metallic"].default_value = metallic
    return mat


def build(args):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, args.frames

    bpy.ops.mesh.primitive_plane_add(size=12, location=(0, 0, 0))
    bpy.context.object.data.materials.append(material("Floor", (0.8, 0.78, 0.72, 1), roughness=0.8))
    bpy.ops.mesh.primitive_monkey_add(size=1.4, location=(0, 0, 1.0))
    monkey = bpy.context.object
    monkey.rotation_euler = (math.radians(-10), 0, 0)
    bpy.ops.object.shade_smooth()
    monkey.modifiers.new("Smooth", "SUBSURF").levels = 1
    monkey.data.materials.append(material("Clay", (0.85, 0.35, 0.15, 1), roughness=0.35))
    bpy.ops.mesh.primitive_torus_add(location=(1.8, 0.6, 0.35), major_radius=0.6, minor_radius=0.2)
    bpy.ops.object.shade_smooth()
    bpy.context.object.data.materials.append(material("Metal", (0.7, 0.75, 0.8, 1), roughness=0.2, metallic=1.0))
    bpy.ops.mesh.primitive_cube_add(size=0.8, location=(-1.7, -0.5, 0.4), rotation=(0, 0, math.radians(30)))
    bpy.context.object.data.materials.append(material("Teal", (0.1, 0.55, 0.55, 1)))

    bpy.ops.object.light_add(type="SUN", location=(4, -4, 8), rotation=(math.radians(40), 0, math.radians(40)))
    bpy.context.object.data.energy = 3.0
    world = bpy.data.worlds.new("Sky")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.45, 0.6, 0.85, 1)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.6
    scene.world = world

    # The camera rides on an empty that turns once around the objects over the animation.
    bpy.ops.object.empty_add(location=(0, 0, 0.8))
    pivot = bpy.context.object
    bpy.ops.object.camera_add(location=(0, -7.5, 3.2))
    camera = bpy.context.object
    camera.parent = pivot
    target = camera.constraints.new("TRACK_TO")
    target.target = pivot
    target.track_axis, target.up_axis = "TRACK_NEGATIVE_Z", "UP_Y"
    scene.camera = camera
    pivot.rotation_euler = (0, 0, 0)
    pivot.keyframe_insert("rotation_euler", index=2, frame=1)
    pivot.rotation_euler = (0, 0, 2 * math.pi * args.frames / (args.frames + 1))
    pivot.keyframe_insert("rotation_euler", index=2, frame=args.frames)
    for curve in pivot.animation_data.action.fcurves:
        for point in curve.keyframe_points:
            point.interpolation = "LINEAR"

    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = args.samples
    scene.cycles.use_adaptive_sampling = False
    scene.cycles.seed = 17
    scene.cycles.use_denoising = False
    scene.render.resolution_x, scene.render.resolution_y = args.width, args.height
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.fps = 12

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=args.output, compress=True)
    print(f"Saved {args.output}: {args.width}x{args.height}, {args.samples} samples, frames 1-{args.frames}")


build(arguments())
